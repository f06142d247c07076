"""The WSGI script of the *.example.com VirtualHost.

mod_wsgi loads this file once in every sub-interpreter it creates. The Host picks the
application group (SetEnvIf + WSGIApplicationGroup in lab.conf) and the group picks the Django
project: 'app2' serves app2; app1 gets the group mod_wsgi names literally
'%{ENV:WSGI_APP_GROUP}', because the variable is unset for its Host.
"""

import importlib
import importlib.util
import os

import mod_wsgi
from labcore import xray

# Before any project code runs: what this interpreter inherited from the Apache child.
xray.remember_creation()

PROJECT = "app2" if mod_wsgi.application_group == "app2" else "app1"
# LAB_CODE and LAB_SCENARIO are set once for the whole container at start and never
# written, the same in every interpreter: they cannot leak.
ENTRY = os.environ.get("LAB_CODE", "buggy")
if ENTRY == "buggy" and os.environ.get("LAB_SCENARIO") == "django-settings":
    ENTRY = "generated"  # Django's generated wsgi.py: setdefault() for DJANGO_SETTINGS_MODULE too


if ENTRY == "workspace":
    # `make try-fix`: the attendee's own copy of the entry, workspace/appN_wsgi.py.
    spec = importlib.util.spec_from_file_location(f"{PROJECT}_wsgi", f"/srv/workspace/{PROJECT}_wsgi.py")
    entry = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(entry)
else:
    entry = importlib.import_module(f"{PROJECT}.wsgi_{ENTRY}")
application = entry.application
