"""Django settings both projects share: no database, no sessions, just the lab's views.
Each project's settings.py imports these and adds its own name and key."""

DEBUG = False
# Exactly the lab's two Hosts: the same list in both projects, because with
# SCENARIO=django-settings one app's interpreter runs with the other app's settings.
ALLOWED_HOSTS = ["app1.example.com", "app2.example.com"]
ROOT_URLCONF = "labcore.urls"
INSTALLED_APPS = []
MIDDLEWARE = []
DATABASES = {}
USE_TZ = True
# Django writes TIME_ZONE into the process environment (TZ): keep every interpreter on UTC.
TIME_ZONE = "UTC"
