"""A fix that passes and is still wrong: assign instead of setdefault(). Each interpreter
overwrites what it inherited, so Celery's default app reads app2's module; but the entry
still writes the process environment that every interpreter created later inherits."""

import os

os.environ["DJANGO_SETTINGS_MODULE"] = "app2.settings"
os.environ["CELERY_CONFIG_MODULE"] = "app2.celeryconfig"

from django.core.wsgi import get_wsgi_application

application = get_wsgi_application()
