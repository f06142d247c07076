"""app1's Celery app, built eagerly from app1's own configuration module, as Celery's
Django guide lays it out (proj/celery.py). wsgi_fixed.py imports it, and so does app1's
worker (`celery -A app1`); the buggy entries keep Celery's lazily configured default app."""

# This module is named celery: on Python 2 (the bullseye stack), `import celery` would find it.
from __future__ import absolute_import

from celery import Celery

app = Celery("app1")
app.config_from_object("app1.celeryconfig")
# Celery's current app is thread-local: make this one the default for every Apache thread.
app.set_default()
