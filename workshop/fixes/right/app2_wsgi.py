"""A right fix, written in the workspace: app2's own Celery app, built here from app2's own
module and made the default for every thread. No environment variable is read or written."""

import os

os.environ["DJANGO_SETTINGS_MODULE"] = "app2.settings"

from celery import Celery

celery_app = Celery("app2")
celery_app.config_from_object("app2.celeryconfig")
celery_app.set_default()

from django.core.wsgi import get_wsgi_application

application = get_wsgi_application()
