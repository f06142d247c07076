"""WSGI entry of app1; mod_wsgi runs it in app1's own sub-interpreter."""

import os

os.environ["DJANGO_SETTINGS_MODULE"] = "app1.settings"
# app1's Celery app, built now from app1's own module: no environment variable is read.
import app1.celery  # noqa: F401

from django.core.wsgi import get_wsgi_application

application = get_wsgi_application()
