"""WSGI entry of app2 configured the twelve-factor way, fixed (SCENARIO=twelve-factor).

app2's .env is read into a dict, and nothing of it is written to the process environment:
no other interpreter can inherit it, and nothing another interpreter wrote is read. Django's
settings (environ.Env) and Celery's configuration read that dict; Celery's own lookup of
CELERY_BROKER_URL in os.environ finds nothing, because no entry ever writes it.
"""

# This module is in the app2 package: on Python 2 (the bullseye stack), `from celery import
# Celery` would find app2/celery.py.
from __future__ import absolute_import

import os

import environ
from dotenv import dotenv_values

# app2's own values (written at the web server's start: apps/twelve-factor-setup.sh). environ.Env
# reads the mapping in its class attribute ENVIRON (os.environ unless told otherwise): from
# here on, in this interpreter, it reads app2's file and nothing else.
environ.Env.ENVIRON = dotenv_values("/srv/apps/app2/.env")

# app2's Celery app, built now: its broker_url comes from the dict (celeryconfig_twelve_factor.py).
from celery import Celery

celery_app = Celery("app2")
celery_app.config_from_object("app2.celeryconfig_twelve_factor")
celery_app.set_default()

# Django reads its settings module from os.environ only: assigned, as in the lab's other fixed
# entry (wsgi_fixed.py), and read at once by get_wsgi_application().
os.environ["DJANGO_SETTINGS_MODULE"] = "app2.settings_twelve_factor"

from django.core.wsgi import get_wsgi_application

application = get_wsgi_application()
