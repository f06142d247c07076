"""Celery configuration of app1: its own vhost, its own user."""

import os

from labcore.celery_defaults import *  # noqa: F403
from labcore.celery_defaults import broker_scheme, in_this_celerys_names

# The password is in the container's environment from the start, the same for every
# interpreter and never written at run time, so reading it here cannot leak.
broker_url = "{}://app1:{}@rabbitmq:5672/app1".format(broker_scheme, os.environ["APP1_BROKER_PASSWORD"])
# Celery 3 (the bullseye stack) reads the same settings under their old, upper-case names.
in_this_celerys_names(globals())
