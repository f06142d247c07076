"""The seed's own workaround, as the 2013 text printed it: take Celery's current app and give
it app2's configuration module by name. The default app is a global of each interpreter, so
every thread of app2's interpreter then publishes with app2's module; the entry reads no
CELERY_CONFIG_MODULE, and writes only DJANGO_SETTINGS_MODULE."""

import os

os.environ["DJANGO_SETTINGS_MODULE"] = "app2.settings"

from celery.app import app_or_default

app_or_default().config_from_object("app2.celeryconfig")

from django.core.wsgi import get_wsgi_application

application = get_wsgi_application()
