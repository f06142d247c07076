"""WSGI entry of app1 with the fix: the Celery app is built now, from app1's own module.

No environment variable is read to configure it, so nothing another interpreter left in
the process environment can reach it.
"""

import os

from celery import Celery
from django.core.wsgi import get_wsgi_application

os.environ["DJANGO_SETTINGS_MODULE"] = "app1.settings"
celery_app = Celery("app1")
celery_app.config_from_object("app1.celeryconfig")
# Celery's current app is thread-local; make this one the default for every Apache thread.
celery_app.set_default()

application = get_wsgi_application()
