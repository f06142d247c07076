"""The root cause without Apache: two sub-interpreters of one process, with the standard
library's own API (Python 3.14: concurrent.interpreters; 3.12 and 3.13: _interpreters; 3.11:
_xxsubinterpreters). The first runs os.environ.setdefault(), the second is created after it;
then the second assigns. `make root-cause` runs it in a stack's image and prints what each saw
and a one-line verdict. (Python 2.7 has no such API: it says so, and exits 2.)"""

import json
import os
import sys
import tempfile

SEEN = tempfile.mktemp()
SETDEFAULT = 'os.environ.setdefault("CELERY_CONFIG_MODULE", "app2.celeryconfig")'
ASSIGN = 'os.environ["CELERY_CONFIG_MODULE"] = "app1.celeryconfig"'


def note(what):
    """Code for an interpreter: append what it sees now to the SEEN file."""
    line = "[%r, os.environ.get('CELERY_CONFIG_MODULE')]" % what
    return "import json, os\nwith open(%r, 'a') as f: f.write(json.dumps(%s) + '\\n')\n" % (SEEN, line)


def interpreters():
    """(how, create, run): the stdlib's sub-interpreter API of this Python."""
    try:
        from concurrent import interpreters as api  # 3.14

        # (getattr: `exec` is a keyword in Python 2, which must still parse this file.)
        return "concurrent.interpreters", api.create, lambda interp, code: getattr(interp, "exec")(code)  # noqa: B009
    except ImportError:
        pass
    for name in ("_interpreters", "_xxsubinterpreters"):  # 3.12-3.13, 3.11
        try:
            api = __import__(name)
        except ImportError:
            continue
        # "legacy": a shared GIL, as mod_wsgi 5 creates them.
        create = (lambda api=api: api.create("legacy")) if name == "_interpreters" else api.create
        return name, create, api.run_string
    return None


def main():
    api = interpreters()
    if api is None:
        print(
            "Python %s has no sub-interpreter API in its standard library: `make reproduce STACK=%s` shows "
            "the leak under mod_wsgi instead" % (sys.version.split()[0], os.environ.get("LAB_STACK", "bullseye"))
        )
        return 2
    how, create, run = api
    first = create()
    run(first, "import os\n" + SETDEFAULT + "\n" + note("first, after its setdefault()"))
    second = create()
    run(second, note("second, as it was created"))
    if hasattr(os, "reload_environ"):
        run(second, "import os\nos.reload_environ()\n" + note("second, after os.reload_environ()"))
    run(second, "import os\n" + ASSIGN + "\n" + note("second, after it assigned"))
    run(first, note("first, after the second assigned"))
    if hasattr(os, "reload_environ"):  # Python 3.14: re-read the process's C environment
        run(first, "import os\nos.reload_environ()\n" + note("first, after os.reload_environ()"))
    seen = [json.loads(line) for line in open(SEEN)]
    os.remove(SEEN)
    print("Python %s, two sub-interpreters (%s):" % (sys.version.split()[0], how))
    print("  the first ran %s; then the second was created; then the second ran %s" % (SETDEFAULT, ASSIGN))
    for what, value in seen:
        print("  %-36s CELERY_CONFIG_MODULE=%s" % (what + ":", value))
    values = dict(seen)
    inherited = values["second, as it was created"] == "app2.celeryconfig"
    shared = values["first, after the second assigned"] == "app1.celeryconfig"
    if inherited and shared:
        print(
            "INHERITED AND SHARED: the second started with the first one's value, and the first then saw the "
            "second's assignment: one environment for both, the last writer wins"
        )
    elif inherited:
        print(
            "INHERITED: the second started with the first one's value (copied from the process as it was "
            "created); later writes stay in each interpreter's own os.environ, and reach the C environment"
        )
    else:
        print("NOT INHERITED: the second did not see the first one's value")
    return 0 if inherited else 1


if __name__ == "__main__":
    sys.exit(main())
