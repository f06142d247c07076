"""WSGI entry of app2 as people really write it (buggy mode).

Celery's default app is configured lazily, from the module named by CELERY_CONFIG_MODULE.
"""

import os

from django.core.wsgi import get_wsgi_application

os.environ["DJANGO_SETTINGS_MODULE"] = "app2.settings"
os.environ.setdefault("CELERY_CONFIG_MODULE", "app2.celeryconfig")

application = get_wsgi_application()
