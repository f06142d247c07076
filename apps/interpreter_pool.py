"""Python 3.14's own sub-interpreter API against the lab's bug, without any server: which
interpreters inherit an earlier os.environ.setdefault(), and what os.reload_environ() changes.
`make root-cause` runs it after apps/root_cause.py on a Python that has
concurrent.futures.InterpreterPoolExecutor (3.14+); on any other it says so and exits 0.

Probe 1, the pool. An InterpreterPoolExecutor creates its worker interpreters lazily: a new
one when a task is submitted and no worker is idle, each filled from the process's C
environment as it is created. The task is the buggy WSGI entry's line,
os.environ.setdefault("CELERY_CONFIG_MODULE", "<app>.celeryconfig"), then it reports what the
worker's os.environ held before that line, what it holds after, and when the worker was created.
    1. worker 1 runs app1's task and stays busy (it waits for a file to appear);
    2. once C getenv() shows app1's write, app2's task is submitted: no worker is idle, so the
       pool creates worker 2, which inherits app1's module and keeps it (setdefault);
    3. the two tasks are released; app1's task and app2's task run again, each on whichever
       worker is idle: each worker keeps the value it first got, whoever asks.
    4. an interpreter created now with concurrent.interpreters.create() inherits the last write
       to the C environment.

Probe 2, os.reload_environ(). Two interpreters A and B (concurrent.interpreters): A
setdefault()s app1's module, B is created and assigns app2's (the fix's way: assignment, not
setdefault), then A reads, calls os.reload_environ(), reads again, and setdefault()s once more.

    python interpreter_pool.py
Exit 0 when every step ran (the output says what each showed), 1 when one failed.
"""

import os
import sys
import tempfile
import threading
import time

NAME = "CELERY_CONFIG_MODULE"

# Run in every worker interpreter: its creation time and what it held then (the initializer
# runs first in each new worker), then one task per call.
WORKER_STATE = "_lab_worker_state"


def worker_started():
    """The pool's initializer: runs once in each worker interpreter, as it is created."""
    import os
    import sys
    import time
    from concurrent import interpreters

    setattr(sys, WORKER_STATE, {
        "created_at": time.monotonic(),
        "interpreter": interpreters.get_current().id,
        "at_creation": os.environ.get(NAME),
    })  # fmt: skip


def task(app, wait_for=None):
    """The buggy entry's line in this worker, then what the worker holds; waits for the file
    `wait_for` (if given) so that the worker stays busy."""
    import os
    import sys
    import time

    state = getattr(sys, WORKER_STATE)
    before = os.environ.get(NAME)
    os.environ.setdefault(NAME, app + ".celeryconfig")
    while wait_for and not os.path.exists(wait_for):
        time.sleep(0.01)
    return {**state, "app": app, "before": before, "after": os.environ.get(NAME)}


def environ_value():
    """What the calling interpreter's os.environ holds (run with Interpreter.call(): a plain
    function, its name spelled out inside)."""
    import os

    return os.environ.get("CELERY_CONFIG_MODULE")


def c_getenv(name):
    import ctypes

    getenv = ctypes.CDLL(None).getenv
    getenv.restype = ctypes.c_char_p
    value = getenv(name.encode())
    return value.decode() if value is not None else None


def shown(value):
    return "-" if value is None else repr(value)


def pool_probe():
    from concurrent import interpreters
    from concurrent.futures import InterpreterPoolExecutor

    started = time.monotonic()
    release = os.path.join(tempfile.mkdtemp(prefix="interpreter-pool-"), "release")
    rows = []
    with InterpreterPoolExecutor(max_workers=2, initializer=worker_started) as pool:
        first = pool.submit(task, "app1", release)
        deadline = time.monotonic() + 10
        while c_getenv(NAME) is None and time.monotonic() < deadline:
            time.sleep(0.005)
        second = pool.submit(task, "app2", release)
        time.sleep(0.2)  # worker 2 is created and runs app2's task while worker 1 still waits
        open(release, "w").close()
        rows += [first.result(), second.result()]
        for app in ("app1", "app2", "app1", "app2"):
            rows.append(pool.submit(task, app).result())
    late = interpreters.create()
    late_value = late.call(environ_value)
    late.close()
    workers = sorted({row["interpreter"]: row["created_at"] for row in rows}.items(), key=lambda item: item[1])
    number = {interp: index + 1 for index, (interp, _) in enumerate(workers)}
    print("Probe 1: concurrent.futures.InterpreterPoolExecutor(max_workers=2), a task that runs")
    print("  os.environ.setdefault(%r, '<app>.celeryconfig') and reports what its worker holds" % NAME)
    line = "  %-5s %-8s %-20s %-10s %-22s %-22s %s"
    print(line % ("task", "its app", "worker (interpreter)", "created", "worker held at creation", "before the task",
                  "after: what its Celery reads"))  # fmt: skip
    for index, row in enumerate(rows, 1):
        worker = "worker %d (id %d)" % (number[row["interpreter"]], row["interpreter"])
        created = "+%.3f s" % (row["created_at"] - started)
        print(line % (index, row["app"], worker, created, shown(row["at_creation"]), shown(row["before"]),
                      shown(row["after"])))  # fmt: skip
    poisoned = [row for row in rows if not (row["after"] or "").startswith(row["app"] + ".")]
    print("  an interpreter created after the pool (concurrent.interpreters.create()): %s" % shown(late_value))
    print("  C getenv(): %s" % shown(c_getenv(NAME)))
    inherited = [interp for interp, _ in workers[1:] if any(r["interpreter"] == interp and r["at_creation"]
                                                             for r in rows)]  # fmt: skip
    print("  => %d of %d tasks read another app's module; %d of %d workers inherited an earlier write at creation"
          % (len(poisoned), len(rows), len(inherited), len(workers)))  # fmt: skip
    os.environ.pop(NAME, None)  # this interpreter's copy; the C environment is cleared next
    os.unsetenv(NAME)
    return bool(rows) and len(workers) == 2


def reload_probe():
    from concurrent import interpreters

    print("Probe 2: os.reload_environ(), in interpreters A and B (concurrent.interpreters.create())")
    a = interpreters.create()
    a.exec("import os; os.environ.setdefault(%r, 'app1.celeryconfig')" % NAME)
    b = interpreters.create()
    b_at_creation = b.call(environ_value)
    b.exec("import os; os.environ[%r] = 'app2.celeryconfig'" % NAME)
    steps = [
        ("A", "setdefault(app1's)", "app1.celeryconfig"),
        ("B", "is created, looks", b_at_creation),
        ("B", "assigns app2's", b.call(environ_value)),
        ("A", "looks", a.call(environ_value)),
    ]
    a.exec("import os; os.reload_environ()")
    steps.append(("A", "os.reload_environ(), looks", a.call(environ_value)))
    a.exec("import os; os.environ.setdefault(%r, 'app1.celeryconfig')" % NAME)
    steps.append(("A", "setdefault(app1's) again", a.call(environ_value)))
    for interpreter, what, value in steps:
        print("  %-3s %-28s %s" % (interpreter, what, shown(value)))
    print("  C getenv(): %s" % shown(c_getenv(NAME)))
    print("  => os.reload_environ() copied B's later write into A: it re-reads the one C environment of")
    print("     the process, whoever wrote it; it isolates nothing, and after it setdefault() keeps B's value")
    a.close()
    b.close()
    return steps[4][2] == "app2.celeryconfig"


def main():
    try:
        from concurrent.futures import InterpreterPoolExecutor  # noqa: F401
    except ImportError:
        print("Python %s has no concurrent.futures.InterpreterPoolExecutor (new in 3.14): no probe"
              % sys.version.split()[0])  # fmt: skip
        return 0
    os.environ.pop(NAME, None)
    os.unsetenv(NAME)
    print("Python %s (%s): Python's own sub-interpreter API" % (sys.version.split()[0], sys.platform))
    sys.stdout.flush()
    ok = pool_probe()
    sys.stdout.flush()
    ok = reload_probe() and ok
    return 0 if ok else 1


if __name__ == "__main__":
    threading.current_thread().name = "main"
    sys.exit(main())
