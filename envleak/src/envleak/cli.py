"""The command line: `envleak check ...` (also `python -m envleak check ...`)."""

import json
import os
import sys

USAGE = """usage: envleak check [--json] [--python 2.7|3.8|3.9+] [--select CODES] [--ignore CODES]
                     [--root DIR] [-D NAME[=VALUE]]... PATH... [-- UWSGI_COMMAND_LINE...]
       envleak codes          the finding codes, one per line
       envleak schema         the path of the JSON Schema of `envleak check --json`
       envleak --version

PATH: Apache's configuration (its main file, a directory such as /etc/apache2, or a file of
directives), uWSGI .ini files (or a directory of them: /etc/uwsgi, an emperor's vassals) and
WSGI scripts (the apps a mounted dispatcher loads, one per interpreter). After --, a uWSGI
command line (`-- uwsgi --mount /a=a.py --mount /b=b.py`).
Exit 1 when a variable one app writes can reach another app (RISKY), 0 when not, 2 when it
cannot tell (a mounted script it cannot read, apps it cannot see) or for a usage error.
  --json            the result as one JSON object (envleak schema: its JSON Schema)
  --python V        the sharing rules of that Python: 2.7 to 3.8, one os.environ shared by
                    every interpreter; 3.9+, a copy at creation (default: what WSGIPythonHome,
                    python-home= or uWSGI's home= names, else 3.9+)
  --select CODES    only these codes or prefixes (EL201,EL203 or EL2); --ignore: all but these
  --root DIR        read the configuration's absolute paths under DIR (a copy of a server's files)
  -D NAME[=VALUE]   as apache2 -D NAME: for <IfDefine NAME> (and ${NAME} with a value)
"""


def split_codes(text):
    return tuple(code.strip().upper() for code in text.split(",") if code.strip())


def parse(argv):
    options = {"json": False, "root": None, "defines": [], "paths": [], "python": None, "select": (),
               "ignore": (), "uwsgi": None}  # fmt: skip
    args = list(argv)
    while args:
        word = args.pop(0)
        if word == "--":
            options["uwsgi"] = args
            break
        if word == "--json":
            options["json"] = True
        elif word in ("--root", "-D", "--python", "--select", "--ignore") and args:
            value = args.pop(0)
            if word == "--root":
                options["root"] = value
            elif word == "-D":
                options["defines"].append(value)
            elif word == "--python":
                options["python"] = value
            else:
                options[word[2:]] = split_codes(value)
        elif word.startswith(("--python=", "--select=", "--ignore=", "--root=")):
            key, value = word[2:].split("=", 1)
            options[key] = split_codes(value) if key in ("select", "ignore") else value
        elif word.startswith("-D") and len(word) > 2:
            options["defines"].append(word[2:])
        elif word.startswith("-"):
            raise ValueError("unknown option %s (envleak check --help)" % word)
        else:
            options["paths"].append(word)
    if not options["paths"] and not options["uwsgi"]:
        raise ValueError("give a server configuration or a WSGI script to check (envleak check --help)")
    from envleak import codes

    for code in options["select"] + options["ignore"]:
        if not any(known.startswith(code) for known in codes.CODES):
            raise ValueError("no finding code starts with %s (envleak codes lists them)" % code)
    return options


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] in (["--version"], ["version"]):
        from envleak import __version__

        print("envleak " + __version__)
        return 0
    if argv[:1] in (["-h"], ["--help"], ["help"]) or argv[:2] in (["check", "-h"], ["check", "--help"]):
        sys.stdout.write(USAGE)
        return 0
    if argv[:1] == ["codes"]:
        from envleak import codes

        for code in sorted(codes.CODES):
            print("%s %-7s %s" % (code, codes.severity(code), codes.title(code)))
        return 0
    if argv[:1] == ["schema"]:
        print(os.path.join(os.path.dirname(os.path.abspath(__file__)), "check.schema.json"))
        return 0
    if argv[:1] != ["check"]:
        sys.stderr.write(USAGE)
        return 2
    from envleak.check import CheckError, check

    try:
        options = parse(argv[1:])
        result = check(options["paths"], options["root"], options["defines"], python=options["python"],
                       uwsgi_args=options["uwsgi"], select=options["select"], ignore=options["ignore"])  # fmt: skip
    except (ValueError, CheckError, IOError, OSError) as error:
        sys.stderr.write("envleak check: %s\n" % error)
        return 2
    if options["json"]:
        print(json.dumps(result, indent=2, sort_keys=True))
    else:
        for finding in result["findings"]:
            print(finding_text(finding))
        for rules in result["rules"]:
            print("envleak check: rules of %s (%s)" % (rules["text"], rules["source"]))
        print("envleak check: " + result["verdict"])
    return result["exit"]


def finding_text(finding):
    return "%s:%d:%d: %s %s" % (finding["path"], finding["line"], finding["col"], finding["code"], finding["message"])
