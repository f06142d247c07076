"""What this Apache runs now: /srv/run/lab.json, written by the host from the run spec
(loadtest/spec.py: apache_files) before each fresh start, and read once per interpreter, here.
The code, the scenario, the transport and each app's WSGI entry (`entries`, as the repository
names the file) come from this file, not from the process environment: nothing here can leak,
and a new run needs fresh Apache children, not a new container. Python 2.7 and 3."""

import json
import os

RUN_FILE = os.environ.get("LAB_RUN_FILE", "/srv/run/lab.json")
# Where the repository's folders are inside the image (docker-compose.yml mounts the last two).
MOUNTS = (("apps/", "/srv/apps/"), ("workshop/workspace/", "/srv/workspace/"), ("workshop/fixes/", "/srv/fixes/"))


def load(path=RUN_FILE):
    try:
        with open(path) as run_file:
            return json.load(run_file)
    except (IOError, OSError):
        raise RuntimeError("no run spec at {} (the host writes it: make up)".format(path))


def container_path(repository_path):
    """Where a file of the repository (apps/app1/app1/wsgi_buggy.py) is inside the image."""
    for outside, inside in MOUNTS:
        if repository_path.startswith(outside):
            return inside + repository_path[len(outside) :]
    raise ValueError("not a file the image has: {}".format(repository_path))


def repository_path(path):
    """The repository's name of a file inside the image (the inverse of container_path)."""
    for outside, inside in MOUNTS:
        if path.startswith(inside):
            return outside + path[len(inside) :]
    return None


def how_to_load(entry):
    """How Apache's dispatcher loads an entry the spec names (apache/dispatch.wsgi):
    ("module", "app1.wsgi_buggy") for an app's own entry, imported from its package;
    ("file", "/srv/fixes/right/app1_wsgi.py") for the attendee's or a sample fix's file."""
    if entry.startswith("apps/"):
        return "module", entry[len("apps/") : -len(".py")].split("/", 1)[1].replace("/", ".")
    return "file", container_path(entry)


# The workers (which have no run directory) take the defaults; Apache's dispatcher insists (load()).
RUN = load() if os.path.exists(RUN_FILE) else {}
SCENARIO = RUN.get("scenario", "default")
TRANSPORT = RUN.get("transport", "librabbitmq")
