"""Django settings of app2: what differs from the shared ones in labcore/settings.py."""

from labcore.settings import *  # noqa: F403

LAB_APP_NAME = "app2"
SECRET_KEY = "lab-only-app2-no-sessions-no-auth"  # nothing here is signed or kept
