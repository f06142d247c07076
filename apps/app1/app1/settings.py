"""Django settings for app1: a project with no database, just the lab's two views."""

LAB_APP_NAME = "app1"

SECRET_KEY = "lab-only-app1-no-sessions-no-auth"  # nothing here is signed or kept
DEBUG = False
ALLOWED_HOSTS = [".example.com", "localhost", "127.0.0.1"]
ROOT_URLCONF = "app1.urls"
INSTALLED_APPS = []
MIDDLEWARE = []
DATABASES = {}
USE_TZ = True
# Django writes TIME_ZONE into the process environment (TZ): keep every interpreter on UTC.
TIME_ZONE = "UTC"
