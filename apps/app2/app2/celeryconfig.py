"""Celery configuration of app2: its own vhost, its own user."""

import os

from labcore.celery_defaults import *  # noqa: F403
from labcore.celery_defaults import broker_scheme, in_this_celerys_names
from labcore.run import SCENARIO

# The password is in the container's environment from the start, the same for every
# interpreter and never written at run time, so reading it here cannot leak.
_password, _address = os.environ["APP2_BROKER_PASSWORD"], "rabbitmq:5672"
# app2's web configuration broken on purpose (SCENARIO, from the run's lab.json); its worker
# has the right one (CELERY_BROKER_URL in docker-compose.yml).
if SCENARIO == "bad-credentials":
    _password = "wrong-" + _password  # the 2013 incident: a wrong password
if SCENARIO == "refused-broker":
    _address = "rabbitmq:5673"  # the seed's "socket error 536871023": nothing listens there
broker_url = "{}://app2:{}@{}/app2".format(broker_scheme, _password, _address)
# Celery 3 (the bullseye stack) reads the same settings under their old, upper-case names.
in_this_celerys_names(globals())
