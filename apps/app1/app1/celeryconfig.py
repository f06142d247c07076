"""Celery configuration of app1: its own vhost, its own user."""

import os

from labcore.celery_defaults import *  # noqa: F403
from labcore.celery_defaults import broker_scheme

# The password is in the container's environment from the start, the same for every
# interpreter and never written at run time, so reading it here cannot leak.
broker_url = f"{broker_scheme}://app1:{os.environ['APP1_BROKER_PASSWORD']}@rabbitmq:5672/app1"
