"""WSGI entry of app2 as people really write it (buggy mode), in the order of Django
1.4-1.11's generated wsgi.py: environment first, then the imports that need it.

Celery's default app is configured lazily, from the module named by CELERY_CONFIG_MODULE.
"""

import os

os.environ["DJANGO_SETTINGS_MODULE"] = "app2.settings"
os.environ.setdefault("CELERY_CONFIG_MODULE", "app2.celeryconfig")

from django.core.wsgi import get_wsgi_application  # noqa: E402

application = get_wsgi_application()
