"""WSGI entry of app2 with the fix: the Celery app is built now, from app2's own module.

No environment variable is read to configure it, so nothing another interpreter left in
the process environment can reach it.
"""

import os

from celery import Celery
from django.core.wsgi import get_wsgi_application

os.environ["DJANGO_SETTINGS_MODULE"] = "app2.settings"
celery_app = Celery("app2")
celery_app.config_from_object("app2.celeryconfig")
# Celery's current app is thread-local; make this one the default for every Apache thread.
celery_app.set_default()

application = get_wsgi_application()
