"""WSGI entry of app2; mod_wsgi runs it in app2's own sub-interpreter."""

import os

os.environ["DJANGO_SETTINGS_MODULE"] = "app2.settings"
# app2's Celery app, built now from app2's own module: no environment variable is read.
import app2.celery  # noqa: F401

from django.core.wsgi import get_wsgi_application

application = get_wsgi_application()
