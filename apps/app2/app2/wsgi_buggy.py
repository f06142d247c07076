"""WSGI entry of app2; mod_wsgi runs it in app2's own sub-interpreter."""

import os

os.environ["DJANGO_SETTINGS_MODULE"] = "app2.settings"
# Celery's default app reads this lazily, at first use, from this interpreter's os.environ.
os.environ.setdefault("CELERY_CONFIG_MODULE", "app2.celeryconfig")

from django.core.wsgi import get_wsgi_application

application = get_wsgi_application()
