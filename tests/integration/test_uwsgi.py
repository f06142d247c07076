"""The same bug in uWSGI (SERVER=uwsgi): Debian's uWSGI behind Debian's nginx, one app per Host
loaded on its first request, the same apps, entries, broker, workers and referee. Judged, as
every run is, from the broker's and the workers' record.

Its own Compose project beside the suite's (uWSGI and Apache share the HTTP port within one
project: the run spec stops one to start the other), brought up for this module and taken down
after it. With one worker and app2's Host first, app1's app is the worker's second one: uWSGI
gives it a new sub-interpreter, created after app2's setdefault(), so app1 is the victim for
certain (the workshop's choose-the-victim, in uWSGI)."""

import re

import pytest

from loadtest import core, provision, spec
from tests.integration import harness
from tests.integration.harness import PROJECT, REPORTS, project_settings, suite_spec

VICTIM = "FIRST=app2 PROCESSES=1"


@pytest.fixture(scope="module")
def uwsgi_lab(pytestconfig):
    stack = pytestconfig.getoption("--stack")
    boot = suite_spec(f"make reproduce SERVER=uwsgi STACK={stack}")
    lab = harness.TestLab(f"{PROJECT}-uwsgi", project_settings("test-lab-uwsgi"))
    try:
        provision.docker(boot)
    except Exception as exc:  # no engine here: the suite's own fixtures say how that is handled
        pytest.skip(f"no Docker here: {exc}")
    provision.setup(boot, lab)
    lab.up(boot)
    lab.url = f"http://{lab.port_for(boot, boot.web.service, 80)}"
    lab.mgmt_url = f"http://{lab.port_for(boot, 'rabbitmq', 15672)}"
    try:
        yield lab, stack
    finally:
        lab.down(boot)


@pytest.fixture(scope="module")
def uwsgi_runs(uwsgi_lab):
    """One run per command, made when a test first asks for it."""
    lab, stack = uwsgi_lab
    made = {}

    def run(command):
        if command not in made:
            run_spec = suite_spec(spec.from_command(f"{command} SERVER=uwsgi STACK={stack} {VICTIM}"))
            lab.up(run_spec)
            label = "uwsgi-" + re.sub(r"[^a-z0-9]+", "-", command.removeprefix("make ").lower())
            made[command] = core.run(run_spec, lab, report_dir=REPORTS, label=label, quiet=True)
        return made[command]

    return run


def test_the_buggy_entries_under_uwsgi_reproduce_and_app1_is_the_victim(uwsgi_runs):
    document = uwsgi_runs("make reproduce")
    assert document.spec.server == "uwsgi"
    assert document.verdict.kind == "REPRODUCED", document.verdict
    assert document.totals.misrouted > 0
    victims = [entry for entry in document.interpreters if entry.host_app == "app1"]
    assert victims and all(entry.application_group == "app1.example.com|" for entry in victims)


def test_the_fix_under_uwsgi_is_fixed(uwsgi_runs):
    document = uwsgi_runs("make fixed")
    assert document.verdict.kind == "FIXED", document.verdict
    assert document.totals.misrouted == 0


def test_a_uwsgi_vassal_per_app_in_one_interpreter_is_isolated(uwsgi_runs):
    """make daemon SERVER=uwsgi: the emperor, a vassal per app, single-interpreter."""
    document = uwsgi_runs("make daemon")
    assert document.verdict.kind == "ISOLATED", document.verdict
    assert {line.action for line in document.history.interpreter_log} == {"attach"}  # only main interpreters
    commands = [process.command for process in document.history.apache_processes]
    assert any("--emperor" in command for command in commands)
    assert {app for app in ("app1", "app2") if any(f"--ini {app}.ini" in c for c in commands)} == {"app1", "app2"}


def test_uwsgis_own_log_lines_are_the_timeline(uwsgi_runs):
    """In the one worker: app2's app 0 attached to the main interpreter, then app1's app 1 on a
    new interpreter, created after it (uWSGI's "WSGI app N ... ready ... on interpreter" lines)."""
    document = uwsgi_runs("make reproduce")
    lines = sorted(document.history.interpreter_log, key=lambda line: line.at)
    assert [(line.group, line.action) for line in lines] == [
        ("app2.example.com|", "attach"),
        ("app1.example.com|", "create"),
    ]
    assert len({line.pid for line in lines}) == 1
    assert "WSGI app 1 (mountpoint='app1.example.com|') ready" in lines[1].line


def test_the_runs_measure_uwsgi_and_nginx(uwsgi_runs):
    versions = uwsgi_runs("make reproduce").history.versions
    assert versions["uwsgi"] and versions["nginx"] and versions["mod_wsgi"] is None


# SCENARIO=twelve-factor (each app's .env, its own PostgreSQL database and signing key): app2's
# app, first in the worker, loads app2's .env into the main interpreter; app1's interpreter,
# created after it, inherits app2's DATABASE_URL and SECRET_KEY and keeps them (load_dotenv()
# does not override).
TWELVE_FACTOR = "SCENARIO=twelve-factor REQUESTS=40"


def test_twelve_factor_under_uwsgi_writes_app1s_rows_into_app2s_database_signed_with_its_key(uwsgi_runs):
    document = uwsgi_runs(f"make reproduce {TWELVE_FACTOR}")
    assert document.verdict.kind == "REPRODUCED", document.verdict
    per_app = document.checked.summary.per_app
    assert per_app["app1"].sent > 0 and per_app["app2"].sent > 0, per_app
    # The referee's counts, read from PostgreSQL and checked against each app's key.
    assert (per_app["app1"].rows_other, per_app["app1"].signed_other) == (per_app["app1"].sent,) * 2, per_app
    assert (per_app["app2"].rows_own, per_app["app2"].signed_own) == (per_app["app2"].sent,) * 2, per_app
    kept = {reason.variable for reason in document.checked.reasons if reason.code == "kept"}
    assert kept >= {"DATABASE_URL", "SECRET_KEY"}, document.checked.reasons


def test_twelve_factor_fixed_under_uwsgi_keeps_each_app_in_its_own_database(uwsgi_runs):
    document = uwsgi_runs(f"make fixed {TWELVE_FACTOR}")
    assert document.verdict.kind == "FIXED", document.verdict
    for counts in document.checked.summary.per_app.values():
        assert (counts.rows_own, counts.signed_own) == (counts.sent, counts.sent) != (0, 0), counts
