"""The root cause without Apache: does a write to os.environ in one sub-interpreter reach
another one's os.environ, and when? `make root-cause` runs this under a stack's Python (in its
image) or under any Python named with PYTHON=, Python 2.7 and every 3.x.

Two sub-interpreters A and B of one process take these steps, in this order:

    A  os.environ.setdefault(NAME, ...)     B  is created, reads NAME
    A  assigns NAME again                   B  reads NAME
    B  assigns NAME                         A  reads NAME

Each step records what the interpreter's os.environ says, what the C library's getenv() says
(the one environment of the whole process), and the id() of os.environ and of the dict under it
(posix.environ). Witnesses: the embedding probe (apps/subinterpreters.c, compiled against this
Python: Py_NewInterpreter(), as mod_wsgi creates interpreters), and, where the standard library
has one, its own sub-interpreter API (_xxsubinterpreters from 3.8, _interpreters in 3.13,
concurrent.interpreters in 3.14). On Python 3.14 both also call os.reload_environ().

The verdict, one word per run:
    SHARED LIVE         one os.environ dict for every interpreter: B sees A's later write
    COPIED AT CREATION  B starts with what the process environment held when B was created;
                        later writes reach getenv() but not the other's dict

    python root_cause.py --probe PATH_OF_THE_COMPILED_PROBE
Exit 0 on a verdict, 1 when the witnesses disagree or a step failed, 2 on bad input.
"""

from __future__ import print_function

import json
import os
import subprocess
import sys
import tempfile

NAME = "CELERY_CONFIG_MODULE"
# (interpreter, what it does, the statement it runs before it looks)
STEPS = [
    ("main", "looks, before anything", ""),
    ("A", "setdefault()", 'os.environ.setdefault(%r, "A: setdefault")' % NAME),
    ("B", "is created, looks", ""),
    ("A", "assigns again", 'os.environ[%r] = "A: assigned after B was created"' % NAME),
    ("B", "looks", ""),
    ("B", "assigns", 'os.environ[%r] = "B: assigned"' % NAME),
    ("A", "looks", ""),
]
if hasattr(os, "reload_environ"):  # Python 3.14: re-read the process's C environment
    STEPS.append(("B", "os.reload_environ(), looks", "os.reload_environ()"))
    STEPS.append(("A", "os.reload_environ(), looks", "os.reload_environ()"))

# What an interpreter appends to the SEEN file after its step. The C environment: getenv()
# through ctypes; where ctypes refuses to load (an isolated interpreter), Python 3.14's
# posix._create_environ(), a fresh read of it that changes nothing.
LOOK = """
import json, os, posix
try:
    import ctypes
    getenv = ctypes.CDLL(None).getenv
    getenv.restype = ctypes.c_char_p
    c_value = getenv(%(name)r.encode("ascii"))
    c_value = c_value.decode("utf-8") if c_value is not None else None
except ImportError:
    try:
        c_value = posix._create_environ().get(%(name)r.encode("ascii"))
        c_value = c_value.decode("utf-8") if c_value is not None else None
    except AttributeError:
        c_value = "?"
data = os.environ._data if hasattr(os.environ, "_data") else os.environ.data  # 3.x; 2.7
with open(%(seen)r, "a") as seen:
    seen.write(json.dumps({"step": %(step)d, "value": os.environ.get(%(name)r), "getenv": c_value,
        "environ": id(os.environ), "dict": id(data), "posix_environ": id(posix.environ)}) + "\\n")
"""


def step_code(index, seen):
    statement = STEPS[index][2]
    return "import os\n" + statement + "\n" + LOOK % {"name": NAME, "seen": seen, "step": index}


def read_seen(path):
    with open(path) as lines:
        return [json.loads(line) for line in lines]


def embedding_witness(probe):
    """The steps through the compiled probe: one process, Py_NewInterpreter() per name."""
    handle, seen = tempfile.mkstemp(prefix="root-cause-")
    os.close(handle)
    arguments = [probe]
    for index, (interpreter, _, _) in enumerate(STEPS):
        arguments += [interpreter, step_code(index, seen)]
    environment = dict(os.environ)
    for key in ("PYTHONPATH", "PYTHONSTARTUP", NAME):
        environment.pop(key, None)
    environment["PYTHONHOME"] = getattr(sys, "real_prefix", None) or getattr(sys, "base_prefix", sys.prefix)
    try:
        status = subprocess.call(arguments, env=environment)
        return status, read_seen(seen)
    finally:
        os.remove(seen)


def stdlib_api():
    """(name, create, run) of this Python's own sub-interpreter API, each interpreter created
    the way mod_wsgi creates them (a shared GIL, any extension module allowed) where the API
    lets one say so; None below 3.8."""
    try:
        from concurrent import interpreters  # 3.14: its interpreters are isolated ones

        # (getattr: `exec` is a keyword in Python 2, which must still parse this file.)
        return "concurrent.interpreters", interpreters.create, lambda interp, code: getattr(interp, "exec")(code)  # noqa: B009
    except ImportError:
        pass
    try:
        import _interpreters  # 3.13

        return '_interpreters.create("legacy")', lambda: _interpreters.create("legacy"), _interpreters.run_string
    except ImportError:
        pass
    try:
        import _xxsubinterpreters as api  # 3.8 to 3.12
    except ImportError:
        return None

    def create():
        try:
            return api.create(isolated=False)  # 3.12 creates isolated ones unless told
        except TypeError:
            return api.create()

    return "_xxsubinterpreters", create, api.run_string


def stdlib_witness(api):
    """The same steps through the standard library's API, in this process ('main' is this
    interpreter)."""
    _, create, run = api
    handle, seen = tempfile.mkstemp(prefix="root-cause-")
    os.close(handle)
    interpreters = {}
    try:
        for index, (interpreter, _, _) in enumerate(STEPS):
            code = step_code(index, seen)
            if interpreter == "main":
                exec(code, {})
                continue
            if interpreter not in interpreters:
                interpreters[interpreter] = create()
            run(interpreters[interpreter], code)
        return 0, read_seen(seen)
    finally:
        os.remove(seen)


def verdict(seen):
    """SHARED LIVE, COPIED AT CREATION, or None when the steps fit neither."""
    value = dict((record["step"], record["value"]) for record in seen)
    if len(value) < 7:
        return None
    inherited = value[2] == "A: setdefault"
    live = value[4] == "A: assigned after B was created" and value[6] == "B: assigned"
    if inherited and live:
        return "SHARED LIVE"
    if inherited and value[4] == "A: setdefault" and value[6] == "A: assigned after B was created":
        return "COPIED AT CREATION"
    return None


def dicts(seen):
    """Which interpreters' os.environ sit on the same dict (posix.environ): 'one dict' or 'N dicts'."""
    ids = {}
    for record in seen:
        ids.setdefault(STEPS[record["step"]][0], record["dict"])
    count = len(set(ids.values()))
    names = ", ".join(sorted(ids, key=["main", "A", "B"].index))
    return "%s: %s" % (names, "one dict" if count == 1 else "%d dicts" % count)


def getenv_follows(seen):
    """Whether C getenv() gave, at every step and in every interpreter, the last value written
    by any of them: one process environment under them all."""
    last = None
    for record in seen:
        statement = STEPS[record["step"]][2]
        if statement.startswith("os.environ"):
            last = record["value"]
        if record["getenv"] != last:
            return False
    return True


def shown(value):
    return "-" if value is None else "'%s'" % value  # (Python 2.7 would print u'...')


def show(title, status, seen):
    print("Witness: " + title)
    row = "  %-4s  %-26s  %-33s  %-33s  %s"
    print(row % ("", "step", "os.environ[%r]" % NAME, "C getenv()", "id(os.environ), id(its dict)"))
    for record in seen:
        interpreter, what, _ = STEPS[record["step"]]
        ids = "%#x, %#x" % (record["environ"], record["dict"])
        print(row % (interpreter, what, shown(record["value"]), shown(record["getenv"]), ids))
    print("  os.environ's dict (posix.environ) in %s" % dicts(seen))
    if getenv_follows(seen):
        print("  C getenv(), in every interpreter at every step: the last value any of them wrote (one environment)")
    else:
        print("  C getenv() did not follow every write (see its column)")
    found = verdict(seen)
    if status != 0:
        print("  a step failed (exit status %d; its traceback is above)" % status)
        found = None
    print("  => %s" % (found or "NO VERDICT: the steps fit neither SHARED LIVE nor COPIED AT CREATION"))
    return found


EXPLAINED = {
    "SHARED LIVE": "one os.environ dict for every interpreter of the process: a write in one is "
    "seen by all at once, and the last writer wins",
    "COPIED AT CREATION": "each interpreter fills its own os.environ dict from the process's C "
    "environment when it is created: B inherited A's setdefault(); later writes reach the C "
    "environment (getenv) but not the other's dict",
}


def main(argv):
    if len(argv) != 3 or argv[1] != "--probe":
        print("usage: python root_cause.py --probe PATH_OF_THE_COMPILED_PROBE", file=sys.stderr)
        return 2
    if not os.access(argv[2], os.X_OK):
        print("root_cause.py: no probe at %s (apps/build-subinterpreters.sh builds it)" % argv[2], file=sys.stderr)
        return 2
    os.environ.pop(NAME, None)  # the steps start from a process environment without it
    version = sys.version.split()[0]
    print("Python %s (%s), %s in sub-interpreters A and B of one process:" % (version, sys.platform, NAME))
    sys.stdout.flush()
    embedding = "the embedding probe (apps/subinterpreters.c: Py_NewInterpreter(), as mod_wsgi)"
    found = [show(embedding, *embedding_witness(argv[2]))]
    api = stdlib_api()
    if api is None:
        print("Witness: the standard library's API: none (it has one from Python 3.8)")
    else:
        sys.stdout.flush()
        found.append(show("the standard library's API, %s" % api[0], *stdlib_witness(api)))
    if None in found or len(set(found)) != 1:
        print("NO VERDICT: the witnesses disagree or a step failed: %s" % ", ".join(str(word) for word in found))
        return 1
    print("%s: on Python %s, %s." % (found[0], version, EXPLAINED[found[0]]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
