"""The WSGI servers the lab runs both apps in (SERVER=, choices.mk: SERVERS): what each one is
called in Compose, which image it runs, how it gets fresh workers and which knobs it can run
with. The lab asks this table for all of it; what the servers' own files say is theirs (apache/,
uwsgi/), and their log lines are read by loadtest.history.interpreter_lines(text, server).
Standard library only (the run spec imports it)."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Server:
    name: str  # SERVER=
    title: str  # as the terminal and the docs name it
    service: str  # its Compose service (docker-compose.yml)
    profile: str | None  # the Compose profile that turns the service on (None: always on)
    fresh: tuple[str, ...]  # the command, in its container, that gives it fresh workers
    image_kind: str  # the middle of its image's tag: python-apps:<stack>-<image_kind>-<arch>
    # The knobs it can run with: what is not listed, it refuses in one line (spec.check_combination).
    process_models: tuple[str, ...]
    scenarios_refused: tuple[str, ...]
    faults_refused: tuple[str, ...]
    stacks_refused: tuple[str, ...]


SERVERS = {
    "mod_wsgi": Server(
        name="mod_wsgi",
        title="Apache with mod_wsgi",
        service="apache",
        profile=None,
        fresh=("apache-fresh-children",),
        image_kind="mod_wsgi-{mod_wsgi}",
        process_models=("embedded", "daemon"),
        scenarios_refused=(),
        faults_refused=(),
        stacks_refused=(),
    ),
    # Debian's uwsgi-core and uwsgi-plugin-python3 behind Debian's nginx (uwsgi/): one app per
    # Host, loaded on its first request; fresh workers by uWSGI's own reload (SIGHUP).
    "uwsgi": Server(
        name="uwsgi",
        title="uWSGI behind nginx",
        service="uwsgi",
        profile="uwsgi",
        fresh=("uwsgi-fresh-workers",),
        image_kind="uwsgi",
        # daemon: the emperor with a vassal per app, each single-interpreter (uwsgi/vassals/).
        process_models=("embedded", "daemon"),
        # group-variable's entry reads mod_wsgi's application group; the recycle is Apache's.
        scenarios_refused=("group-variable",),
        faults_refused=("apache-recycle",),
        # bullseye's lab is Python 2.7: its uWSGI plugin for it is not the lab's.
        stacks_refused=("bullseye",),
    ),
}


def server(name):
    return SERVERS[name]


def other_services(name):
    """The other servers' Compose services: stopped when this one starts (they share the port)."""
    return tuple(one.service for one in SERVERS.values() if one.name != name)
