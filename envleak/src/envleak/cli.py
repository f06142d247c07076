"""The command line: `envleak check ...` (also `python -m envleak check ...`)."""

import json
import sys

USAGE = """usage: envleak check [--json] [--root DIR] [-D NAME]... PATH...
       envleak --version

PATH: Apache's configuration (its main file, a directory such as /etc/apache2, or a file of
directives) and WSGI scripts. Exit 1 when several interpreters share a process and a variable
one writes can reach another (RISKY), 0 when not, 2 for a usage error or a mounted script
that cannot be read.
  --json      the findings as one JSON object
  --root DIR  read the configuration's absolute paths under DIR (a copy of a server's files)
  -D NAME     as apache2 -D NAME: for <IfDefine NAME>
"""


def parse(argv):
    options = {"json": False, "root": None, "defines": [], "paths": []}
    args = list(argv)
    while args:
        word = args.pop(0)
        if word == "--json":
            options["json"] = True
        elif word in ("--root", "-D") and args:
            value = args.pop(0)
            if word == "--root":
                options["root"] = value
            else:
                options["defines"].append(value)
        elif word.startswith("-D") and len(word) > 2:
            options["defines"].append(word[2:])
        elif word.startswith("-"):
            raise ValueError("unknown option %s" % word)
        else:
            options["paths"].append(word)
    if not options["paths"]:
        raise ValueError("give an Apache configuration or a WSGI script to check")
    return options


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] in (["--version"], ["version"]):
        from envleak import __version__

        print("envleak " + __version__)
        return 0
    if argv[:1] in (["-h"], ["--help"], ["help"]):
        sys.stdout.write(USAGE)
        return 0
    if argv[:1] != ["check"]:
        sys.stderr.write(USAGE)
        return 2
    from envleak.check import CheckError, check

    try:
        options = parse(argv[1:])
        result = check(options["paths"], options["root"], options["defines"])
    except ValueError as error:
        sys.stderr.write("envleak check: %s\n" % error)
        return 2
    except (CheckError, IOError, OSError) as error:
        sys.stderr.write("envleak check: %s\n" % error)
        return 2
    if options["json"]:
        print(json.dumps(result, indent=2, sort_keys=True))
    else:
        for line in result["lines"] + [result["verdict"]]:
            print("envleak check: " + line)
    return 1 if result["risky"] else 2 if result["unknown"] else 0
