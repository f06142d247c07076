"""The 2013 fix alone, on a twelve-factor app (SCENARIO=twelve-factor): app2's own Celery app,
built eagerly from app2's module and made the default, DJANGO_SETTINGS_MODULE assigned; and
app2's .env loaded into the process environment, as the twelve-factor app does. load_dotenv()
keeps what an interpreter inherited: another app's DATABASE_URL and SECRET_KEY, and
CELERY_BROKER_URL, which Celery reads from os.environ ahead of any configuration."""

import os

from dotenv import load_dotenv

load_dotenv("/srv/apps/app2/.env")

os.environ["DJANGO_SETTINGS_MODULE"] = "app2.settings_twelve_factor"

from celery import Celery

celery_app = Celery("app2")
celery_app.config_from_object("app2.celeryconfig_twelve_factor")
celery_app.set_default()

from django.core.wsgi import get_wsgi_application

application = get_wsgi_application()
