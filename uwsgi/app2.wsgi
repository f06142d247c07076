"""app2's file under uWSGI: the route for app2.example.com names it (uwsgi/lab.ini)."""

import time

FIRST_RAN_AT = time.time()  # before anything else of this file runs

from uwsgi_dispatch import application_for  # noqa: E402

application = application_for("app2", "app2.example.com|", FIRST_RAN_AT)
