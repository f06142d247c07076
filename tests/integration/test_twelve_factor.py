"""SCENARIO=twelve-factor and SCENARIO=time-zone on the suite's own stack: each app's .env,
its PostgreSQL database and its signing key, and the C library's one time zone per process.
Where each request's row landed is read from PostgreSQL itself (loadtest/database.py, and a
plain psql count beside it), whose key signed each answer from the keys in the lab's .env.
One Apache child (PROCESSES=1) and app1's Host asked first, alone, make each run go one way:
app1's interpreter loads its .env first, app2's is created after it and inherits it."""

import functools
import subprocess
import uuid
from collections import Counter

import pytest
import requests

from loadtest import database
from loadtest.lab import APPS
from tests.integration.harness import suite_spec
from tests.integration.test_security import assert_no_secret_in_image

TWELVE_FACTOR = "twelve-factor"
# What each app's settings ask for in SCENARIO=time-zone (apps/appN/appN/settings.py), as the
# C library abbreviates them: Tokyo has no summer time.
TOKYO = "JST"
LOS_ANGELES = ("PST", "PDT")


def twelve_factor_spec(main_spec, code):
    """One child, app1's Host first: app1's interpreter loads its .env first, app2's after it."""
    return suite_spec(main_spec, code=code, scenario=TWELVE_FACTOR, processes=1, first="app1", requests=40)


@pytest.fixture(scope="module")
def twelve_factor(lab, main_spec):
    """The suite's lab with its PostgreSQL (the Compose profile the spec turns on for
    SCENARIO=twelve-factor)."""
    lab.up(twelve_factor_spec(main_spec, "buggy"))
    return lab


def psql(lab, database_name, query):
    """A query as PostgreSQL's admin in the postgres container: its rows, '|'-separated."""
    completed = lab.compose_now("--profile", "postgres", "exec", "-T", "postgres", "psql", "-X", "-At", "-d",
                                database_name, "-c", query)  # fmt: skip
    return [line.split("|") for line in completed.stdout.splitlines() if line]


def compose_of(lab):
    return functools.partial(lab.compose, lab.spec, check=False)


def run(lab, main_spec, code):
    """A run of its own (the tests below ask the same Apache children more after it)."""
    return lab.run(twelve_factor_spec(main_spec, code), label="twelve-factor")


def test_buggy_entries_write_rows_into_the_other_apps_database_signed_with_its_key(twelve_factor, main_spec):
    lab = twelve_factor
    document = run(lab, main_spec, "buggy")
    assert document.verdict.kind == "REPRODUCED", document.verdict
    rows = database.read_rows(compose_of(lab), document.run.run_id)
    per_app = document.checked.summary.per_app
    sent = Counter(result.app for result in document.history.results)
    assert sent["app1"] > 0 and sent["app2"] > 0, sent
    # app1's interpreter loaded its .env first; app2's inherited app1's DATABASE_URL and
    # SECRET_KEY and kept them (load_dotenv() does not override): the referee's counts, from
    # PostgreSQL and the keys.
    assert (per_app["app1"].rows_own, per_app["app1"].signed_own) == (sent["app1"], sent["app1"]), per_app
    assert (per_app["app2"].rows_other, per_app["app2"].signed_other) == (sent["app2"], sent["app2"]), per_app
    assert len(rows) == sum(sent.values())
    # What that means: a value app1 signed (a cookie, a reset token) is accepted by app2's
    # interpreter, which inherited app1's key; the referee's reasons name the variables kept.
    issued = next(r.answer.signed_request_id for r in document.history.results if r.app == "app1")
    accepted = requests.post(
        f"{lab.url}/unsign/", json={"signed": issued}, headers={"Host": "app2.example.com"}, timeout=30
    ).json()
    assert (accepted["served_by"], accepted["accepted"]) == ("app2", True), accepted
    kept = {reason.variable for reason in document.checked.reasons if reason.code == "kept"}
    assert kept >= {"DATABASE_URL", "SECRET_KEY", "CELERY_BROKER_URL"}, document.checked.reasons
    # PostgreSQL's own columns: app2's rows were written by app1's role, and every connection
    # carries app1's PGAPPNAME, a key app2's .env does not have (libpq reads it from the process).
    assert {(row.database, row.host_app, row.written_by, row.application_name) for row in rows} == {
        ("app1", "app1", "app1", "app1"),
        ("app1", "app2", "app1", "app1"),
    }
    # The Celery side of the same leak: app2's tasks went to app1's vhost.
    assert per_app["app2"].misrouted == sent["app2"], per_app


def test_a_held_out_client_finds_in_postgresql_what_the_referee_reads(twelve_factor, main_spec):
    # Not the load test: a page view of app1 first, then plain POSTs to both Hosts, then a plain
    # count in each database beside rows_by_request.
    lab = twelve_factor
    lab.apply(twelve_factor_spec(main_spec, "buggy"))
    hello = requests.get(f"{lab.url}/hello/", headers={"Host": "app1.example.com"}, timeout=30)
    assert hello.status_code == 200, hello.text
    run_id = "heldout" + uuid.uuid4().hex[:8]
    sent = Counter()
    for index in range(12):
        app = APPS[index % 2]
        response = requests.post(
            f"{lab.url}/enqueue/",
            json={"run_id": run_id, "request_id": f"{run_id}-{index}"},
            headers={"Host": f"{app}.example.com"},
            timeout=30,
        )
        assert response.status_code == 200, response.text
        sent[app] += 1
    counted = {
        name: dict(psql(lab, name, f"SELECT host_app, count(*) FROM {database.TABLE} WHERE run_id = '{run_id}' "
                                   "GROUP BY host_app"))
        for name in APPS
    }  # fmt: skip
    assert counted == {"app1": {"app1": str(sent["app1"]), "app2": str(sent["app2"])}, "app2": {}}, counted
    landed = database.rows_by_request(compose_of(lab), run_id)
    assert Counter(landed.values()) == Counter(app1=sum(sent.values())), landed


def test_fixed_entries_keep_each_app_in_its_own_database_with_its_own_key(twelve_factor, main_spec):
    lab = twelve_factor
    document = run(lab, main_spec, "fixed")
    assert document.verdict.kind == "FIXED", document.verdict
    rows = database.read_rows(compose_of(lab), document.run.run_id)
    for counts in document.checked.summary.per_app.values():
        assert (counts.rows_own, counts.signed_own) == (counts.sent, counts.sent) != (0, 0), counts
    # A value app1 signed means nothing to app2's interpreter, which has its own key.
    issued = next(r.answer.signed_request_id for r in document.history.results if r.app == "app1")
    accepted = requests.post(
        f"{lab.url}/unsign/", json={"signed": issued}, headers={"Host": "app2.example.com"}, timeout=30
    ).json()
    assert accepted["accepted"] is False, accepted
    # Nothing of app1's .env reached the process environment: no connection carries its PGAPPNAME.
    assert {(row.database, row.written_by, row.application_name) for row in rows} == {
        ("app1", "app1", ""),
        ("app2", "app2", ""),
    }


def test_each_role_may_connect_to_its_own_database_only(twelve_factor, main_spec):
    lab = twelve_factor
    privileges = psql(
        lab, "postgres",
        "SELECT r, d, has_database_privilege(r, d, 'CONNECT') FROM unnest(array['app1', 'app2']) r, "
        "unnest(array['app1', 'app2', 'postgres']) d ORDER BY r, d",
    )  # fmt: skip
    assert privileges == [[role, name, "t" if role == name else "f"] for role in APPS for name in (*APPS, "postgres")]
    # Through the app: an entry (the workspace's, as make try-fix runs it) with app1's own .env
    # but app2's database. PostgreSQL refuses app1's role; the view answers 502 with its words.
    entry = (
        "import environ\nfrom dotenv import dotenv_values\n"
        "values = dotenv_values('/srv/apps/{app}/.env')\n"
        "values['DATABASE_URL'] = values['DATABASE_URL'].rsplit('/', 1)[0] + '/{other}'\n"
        "environ.Env.ENVIRON = values\n"
        "import os\nos.environ['DJANGO_SETTINGS_MODULE'] = '{app}.settings_twelve_factor'\n"
        "from django.core.wsgi import get_wsgi_application\napplication = get_wsgi_application()\n"
    )
    folder = lab.workspace_dir / "twelve-factor"  # make try-fix SCENARIO=twelve-factor reads these
    folder.mkdir(exist_ok=True)
    entries = [folder / f"{app}_wsgi.py" for app in APPS]
    for path, (app, other) in zip(entries, (("app1", "app2"), ("app2", "app1")), strict=True):
        path.write_text(entry.format(app=app, other=other))
    try:
        lab.apply(suite_spec(twelve_factor_spec(main_spec, "workspace"), command="try-fix"))
        response = requests.post(
            f"{lab.url}/enqueue/",
            json={"run_id": "refused", "request_id": "refused-1"},
            headers={"Host": "app1.example.com"},
            timeout=30,
        )
    finally:
        for path in entries:  # the workspace is the exercises' too
            path.unlink()
    assert response.status_code == 502, response.text
    answer = response.json()
    assert answer["error_type"] == "OperationalError", answer
    found = database.refusal(answer["error"])
    assert found and (found["user"], found["database"]) == ("app1", "app2"), answer["error"]
    assert "signed_request_id" not in answer and "task_id" not in answer
    # PostgreSQL's own log says the same.
    log = lab.compose_now("--profile", "postgres", "logs", "--no-log-prefix", "postgres").stdout
    refused = [entry for entry in database.connection_log(log) if entry["outcome"] == "refused"]
    assert ("app1", "app2") in {(entry["user"], entry["database"]) for entry in refused}, refused


def test_no_secret_is_in_the_postgres_image(twelve_factor):
    container = twelve_factor.compose_now("--profile", "postgres", "ps", "-q", "postgres").stdout.strip()
    tag = subprocess.run(
        ["docker", "inspect", "-f", "{{.Config.Image}}", container], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert_no_secret_in_image(tag, twelve_factor.known)


def test_time_zone_the_app_loaded_last_sets_every_interpreters_local_time(lab, main_spec):
    time_zone = suite_spec(main_spec, code="buggy", scenario="time-zone", processes=1, first="app1", requests=30)
    document = lab.run(time_zone, label="time-zone")
    # app2's interpreter ran its settings last in the one Apache child: its zone is the process's.
    after = requests.post(
        f"{lab.url}/enqueue/",
        json={"run_id": document.run.run_id, "request_id": "after"},
        headers={"Host": "app1.example.com"},
        timeout=30,
    ).json()["clock"]
    assert (after["time_zone"], after["django_zone"]) == ("Asia/Tokyo", TOKYO), after
    assert after["tzname"] == [TOKYO, TOKYO], after  # app1's own time module, as of its own tzset()
    assert after["localtime_zone"] in LOS_ANGELES and after["tz_c_environ"] == "America/Los_Angeles", after
    per_app = document.checked.summary.per_app
    assert per_app["app2"].wrong_clock == 0 and per_app["app2"].clocks > 0, per_app
    assert per_app["app1"].wrong_clock > 0, per_app
    assert document.verdict.kind == "REPRODUCED", document.verdict
