"""Django settings for app2: a project with no database, just the lab's two views."""

LAB_APP_NAME = "app2"

SECRET_KEY = "lab-only-app2-no-sessions-no-auth"  # nothing here is signed or kept
DEBUG = False
ALLOWED_HOSTS = [".example.com", "localhost", "127.0.0.1"]
ROOT_URLCONF = "app2.urls"
INSTALLED_APPS = []
MIDDLEWARE = []
DATABASES = {}
USE_TZ = True
# Django writes TIME_ZONE into the process environment (TZ): keep every interpreter on UTC.
TIME_ZONE = "UTC"
