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
import os  # noqa: E402

import mod_wsgi  # noqa: E402
from labcore import xray  # noqa: E402

import envleak  # noqa: E402

xray.first_ran(FIRST_RAN_AT)

# The group names the app; in daemon mode each process group runs one app in its main
# interpreter (WSGIApplicationGroup %{GLOBAL}: group ''), and the process group names it.
PROJECT = "app2" if "app2" in (mod_wsgi.application_group, mod_wsgi.process_group) else "app1"
# LAB_CODE and LAB_SCENARIO are set once for the whole container at start (apache/entrypoint.sh
# gives them their defaults) and never written, the same in every interpreter: they cannot leak.
ENTRY = os.environ["LAB_CODE"]
if ENTRY == "buggy" and os.environ["LAB_SCENARIO"] == "django-settings":
    ENTRY = "generated"  # Django's generated wsgi.py: setdefault() for DJANGO_SETTINGS_MODULE too
if ENTRY == "buggy" and os.environ["LAB_SCENARIO"] == "group-variable" and PROJECT == "app2":
    ENTRY = "group_variable"  # app2's entry also setdefault()s WSGI_APP_GROUP, as a .env loader would
if ENTRY in ("buggy", "fixed") and os.environ["LAB_SCENARIO"] == "twelve-factor":
    ENTRY = "twelve_factor_" + ENTRY  # each app's .env, its database and its secret key


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


if ENTRY == "workspace":
    # `make try-fix`: the attendee's own copy of the entry, workshop/workspace/[twelve-factor/]appN_wsgi.py, or with
    # FIX=<name> one of the sample fixes, workshop/fixes/<name>/appN_wsgi.py (both mounted read-only).
    folder = "/srv/fixes/" + os.environ["LAB_FIX"] if os.environ.get("LAB_FIX") else "/srv/workspace"
    if folder == "/srv/workspace" and os.environ["LAB_SCENARIO"] == "twelve-factor":
        folder += "/twelve-factor"  # the twelve-factor entries, copied from their own buggy ones
    entry = load_file(PROJECT + "_wsgi", "{}/{}_wsgi.py".format(folder, PROJECT))
else:
    entry = importlib.import_module("{}.wsgi_{}".format(PROJECT, ENTRY))
xray.entry_loaded()
application = envleak.wrap(entry.application, url="/envleak/")
