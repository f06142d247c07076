"""Django settings of app1: what differs from the shared ones in labcore/settings.py."""

from labcore.settings import *  # noqa: F403

LAB_APP_NAME = "app1"
SECRET_KEY = "lab-only-app1-no-sessions-no-auth"  # nothing here is signed or kept
