"""Django settings of app2: what differs from the shared ones in labcore/settings.py."""

from labcore.run import SCENARIO
from labcore.settings import *  # noqa: F403

LAB_APP_NAME = "app2"
SECRET_KEY = "lab-only-app2-no-sessions-no-auth"  # nothing here is signed or kept
# SCENARIO=time-zone (from the run's lab.json, labcore/run.py): each app in a zone of its own.
# Django writes TIME_ZONE into the process environment (TZ) and calls time.tzset(); the C
# library's zone is one per process.
if SCENARIO == "time-zone":
    TIME_ZONE = "America/Los_Angeles"
