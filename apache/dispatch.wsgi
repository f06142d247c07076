"""The WSGI script of the *.example.com VirtualHost.

mod_wsgi loads this file once in every sub-interpreter it creates. The Host picks the
application group (SetEnvIf + WSGIApplicationGroup in lab.conf) and the group picks the Django
project: 'app2' serves app2; app1 gets the group mod_wsgi names literally
'%{ENV:WSGI_APP_GROUP}', because the variable is unset for its Host.

Before this file runs, envleak (the package built from envleak/, started by the line
`import envleak; envleak.start()` of envleak.pth as mod_wsgi created the interpreter) has
recorded what the interpreter inherited and watches its reads and writes; the entry is wrapped
in envleak's detector, whose report is GET /envleak/ from inside the container (loopback only).
"""

import time

FIRST_RAN_AT = time.time()  # before anything else of this file runs

import importlib  # noqa: E402

import mod_wsgi  # noqa: E402
from labcore import run, xray  # noqa: E402

import envleak  # noqa: E402

xray.first_ran(FIRST_RAN_AT)

# The group names the app; in daemon mode each process group runs one app in its main
# interpreter (WSGIApplicationGroup %{GLOBAL}: group ''), and the process group names it.
PROJECT = "app2" if "app2" in (mod_wsgi.application_group, mod_wsgi.process_group) else "app1"
# Which file this app runs comes from the run's lab.json (labcore/run.py), written by the host's
# run spec: loadtest/spec.py's entry() decides it, and `make check-config` checks the same files.
ENTRY = run.load()["entries"][PROJECT]


def load_file(name, path):
    """A module from a file outside sys.path (Python 3's importlib; Python 2.7's imp). What the
    file itself raises goes up as it is: Apache's log shows it, and the run names it."""
    try:
        import importlib.util
    except ImportError:  # Python 2.7, the bullseye stack
        import imp

        return imp.load_source(name, path)
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


HOW, WHERE = run.how_to_load(ENTRY)
if HOW == "module":  # one of the apps' own entries: imported as a module of its package
    entry = importlib.import_module(WHERE)
else:  # `make try-fix`: the attendee's copy (workshop/workspace/) or a sample fix (workshop/fixes/)
    entry = load_file(PROJECT + "_wsgi", WHERE)
xray.entry_loaded(ENTRY)
application = envleak.wrap(entry.application, url="/envleak/")
