"""WSGI entry of app2 configured the twelve-factor way (SCENARIO=twelve-factor, buggy mode).

The 2013 entry (wsgi_buggy.py) plus the line a twelve-factor app adds: load_dotenv() puts
app2's own .env (DATABASE_URL, SECRET_KEY, CELERY_BROKER_URL) into the process environment,
where settings_twelve_factor.py reads it. Like setdefault(), load_dotenv() keeps a value
that is already in os.environ (override=False): an interpreter that inherited another app's
values keeps them, and so do its database, its signing key and its broker.
"""

import os

from dotenv import load_dotenv

load_dotenv("/srv/apps/app2/.env")  # written as the server starts (apps/twelve-factor-setup.sh)

os.environ["DJANGO_SETTINGS_MODULE"] = "app2.settings_twelve_factor"
# Celery's default app reads this lazily, at first use, from this interpreter's os.environ.
os.environ.setdefault("CELERY_CONFIG_MODULE", "app2.celeryconfig_twelve_factor")

from django.core.wsgi import get_wsgi_application

application = get_wsgi_application()
