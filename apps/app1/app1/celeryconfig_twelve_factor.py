"""Celery configuration of app1 configured the twelve-factor way (SCENARIO=twelve-factor): the
broker URL comes from the environment, like the Django settings (settings_twelve_factor.py).
Celery itself also reads CELERY_BROKER_URL from os.environ, ahead of this module, at every
access (celery/app/utils.py: Settings.broker_url; Celery 3.1's BROKER_URL alike)."""

import environ
from labcore.celery_defaults import *  # noqa: F403
from labcore.celery_defaults import in_this_celerys_names

broker_url = environ.Env()("CELERY_BROKER_URL")
# Celery 3 (the bullseye stack) reads the same settings under their old, upper-case names.
in_this_celerys_names(globals())
