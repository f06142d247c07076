"""The 2013 fix, and app1's .env loaded with override=True (SCENARIO=twelve-factor): every key
app1's file defines replaces what the interpreter inherited. A key only the other app's file
defines stays (app1's PGAPPNAME, which libpq reads from the process environment); and on
Python 2.7, where every interpreter shares one os.environ, the app loaded last overrides the
first one's values under it."""

import os

from dotenv import load_dotenv

load_dotenv("/srv/apps/app1/.env", override=True)

os.environ["DJANGO_SETTINGS_MODULE"] = "app1.settings_twelve_factor"

from celery import Celery

celery_app = Celery("app1")
celery_app.config_from_object("app1.celeryconfig_twelve_factor")
celery_app.set_default()

from django.core.wsgi import get_wsgi_application

application = get_wsgi_application()
