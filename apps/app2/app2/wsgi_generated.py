"""WSGI entry of app2 as Django generates it (SCENARIO=django-settings, buggy mode).

Like wsgi_buggy.py, but DJANGO_SETTINGS_MODULE is set with setdefault() too, as in the file
`django-admin startproject` writes: an inherited value wins over app2's own.
"""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "app2.settings")
os.environ.setdefault("CELERY_CONFIG_MODULE", "app2.celeryconfig")

from django.core.wsgi import get_wsgi_application

application = get_wsgi_application()
