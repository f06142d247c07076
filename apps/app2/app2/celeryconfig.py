"""Celery configuration of app2: its own vhost, its own user."""

import os

from labcore.celery_defaults import *  # noqa: F403
from labcore.celery_defaults import broker_scheme

# The password is in the container's environment from the start, the same for every
# interpreter and never written at run time, so reading it here cannot leak.
_password = os.environ["APP2_BROKER_PASSWORD"]
if os.environ.get("LAB_SCENARIO") == "bad-credentials":
    # The 2013 incident: app2's web configuration carried a wrong password. (Its worker has
    # the right one: see CELERY_BROKER_URL in docker-compose.yml.)
    _password = f"wrong-{_password}"
broker_url = f"{broker_scheme}://app2:{_password}@rabbitmq:5672/app2"
