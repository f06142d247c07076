"""The 2013 fix, and app2's .env read into a dict (SCENARIO=twelve-factor): django-environ
reads its mapping from the class attribute Env.ENVIRON (os.environ unless told otherwise),
and read_env() writes into that same mapping. Given a dict of its own, both stay in this
interpreter: nothing of app2's file is written to the process environment, and nothing
another interpreter wrote there is read by the settings or by Celery's configuration."""

import os

import environ

environ.Env.ENVIRON = {}
environ.Env.read_env("/srv/apps/app2/.env")

os.environ["DJANGO_SETTINGS_MODULE"] = "app2.settings_twelve_factor"

from celery import Celery

celery_app = Celery("app2")
celery_app.config_from_object("app2.celeryconfig_twelve_factor")
celery_app.set_default()

from django.core.wsgi import get_wsgi_application

application = get_wsgi_application()
