"""app2's Celery app, built eagerly from app2's own configuration module, as Celery's
Django guide lays it out (proj/celery.py). wsgi_fixed.py imports it, and so does app2's
worker (`celery -A app2`); the buggy entries keep Celery's lazily configured default app."""

# This module is named celery: on Python 2 (the bullseye stack), `import celery` would find it.
from __future__ import absolute_import

from celery import Celery

app = Celery("app2")
app.config_from_object("app2.celeryconfig")
# Celery's current app is thread-local: make this one the default for every Apache thread.
app.set_default()
