"""WSGI entry of app2 for SCENARIO=group-variable (buggy mode).

Like wsgi_buggy.py, and it also sets WSGI_APP_GROUP, the name apache/lab.conf's SetEnvIf gives
app2's Host, with setdefault(), as a .env loader does with each line of the app's .env file
(python-dotenv's load_dotenv() and django-environ's read_env() keep a value already there and
write the others into os.environ). That writes the Apache child's C environment too, and
mod_wsgi expands `WSGIApplicationGroup %{ENV:WSGI_APP_GROUP}` per request from the request's
notes, then its subprocess environment, then getenv() of the process (docs/mechanism.md).
"""

import os

os.environ["DJANGO_SETTINGS_MODULE"] = "app2.settings"
# Celery's default app reads this lazily, at first use, from this interpreter's os.environ.
os.environ.setdefault("CELERY_CONFIG_MODULE", "app2.celeryconfig")
# A line of app2's .env file: the group Apache puts app2 in, "for the app to know".
os.environ.setdefault("WSGI_APP_GROUP", "app2")

from django.core.wsgi import get_wsgi_application

application = get_wsgi_application()
