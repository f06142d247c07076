"""Django settings of app1 configured the twelve-factor way (SCENARIO=twelve-factor): what
differs between deployments comes from the environment, read with django-environ as
cookiecutter-django's config/settings/base.py reads it. Whatever the environment holds when
this module is imported decides the database, the signing key and the broker."""

import environ
from labcore.settings import *  # noqa: F403

# Reads the process environment (os.environ), where the WSGI entry's load_dotenv() put
# app1's .env; an entry that reads the file into a dict hands that dict to environ.Env instead.
env = environ.Env()

LAB_APP_NAME = "app1"
SECRET_KEY = env("SECRET_KEY")
DATABASES = {"default": env.db("DATABASE_URL")}
# One connection per Apache thread, kept a minute, as cookiecutter-django's production settings
# keep it. A new connection per request doubled this scenario's load (measured on trixie, 300
# requests, one Apache child: 10.6 s, against 5.4 s with this line).
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
# The request rows' model (labcore/models.py) and its migrations.
INSTALLED_APPS = ["labcore"]
