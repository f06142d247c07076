"""A wrong fix: app1's own Celery app, built at the top of the file and never made the
default. Celery's current app is per thread: only the Apache thread that ran this file gets
it; the others fall back to Celery's default app, configured from the environment. (Celery's
Django fix-up would make it the default, but only when DJANGO_SETTINGS_MODULE is already set
as the app is built: celery/fixups/django.py.)"""

import os

from celery import Celery

celery_app = Celery("app1")
celery_app.config_from_object("app1.celeryconfig")

os.environ["DJANGO_SETTINGS_MODULE"] = "app1.settings"

from django.core.wsgi import get_wsgi_application

application = get_wsgi_application()
