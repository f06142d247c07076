"""WSGI entry of app2; mod_wsgi runs it in app2's own sub-interpreter (fixed mode)."""

import os

os.environ["DJANGO_SETTINGS_MODULE"] = "app2.settings"
# Build app2's Celery app now, from app2's own module: no environment variable is read.
from celery import Celery  # noqa: E402

celery_app = Celery("app2")
celery_app.config_from_object("app2.celeryconfig")
# Celery's current app is thread-local: make this one the default for every Apache thread.
celery_app.set_default()

from django.core.wsgi import get_wsgi_application  # noqa: E402

application = get_wsgi_application()
