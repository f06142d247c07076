"""The 2013 fix, and app2's .env loaded with override=True (SCENARIO=twelve-factor): every key
app2's file defines replaces what the interpreter inherited. A key only the other app's file
defines stays (app1's PGAPPNAME, which libpq reads from the process environment); and on
Python 2.7, where every interpreter shares one os.environ, the app loaded last overrides the
first one's values under it."""

import os

from dotenv import load_dotenv

load_dotenv("/srv/apps/app2/.env", override=True)

os.environ["DJANGO_SETTINGS_MODULE"] = "app2.settings_twelve_factor"

from celery import Celery

celery_app = Celery("app2")
celery_app.config_from_object("app2.celeryconfig_twelve_factor")
celery_app.set_default()

from django.core.wsgi import get_wsgi_application

application = get_wsgi_application()
