"""The mechanism, through /xray/: interpreters inherit the process environment at creation."""

import dataclasses

import pytest

from loadtest import checker
from loadtest.lab import APP1_GROUP, app_for_group

POISONED = "poisoned-environment.yml"


@pytest.fixture(scope="module")
def buggy_load(runs, main_spec):
    """The buggy trial's run (test_trials.py), and what /xray/ said right after it: both tests
    below read the same Apache children."""
    document = runs.get(dataclasses.replace(main_spec, command="reproduce", code="buggy"), xray=True)
    return document, runs.xray_after(document)


def test_app1_runs_in_a_group_literally_named_after_the_unexpanded_variable(buggy_load):
    _, rows = buggy_load
    assert {(row["application_group"], row["served_by"]) for row in rows} == {(APP1_GROUP, "app1"), ("app2", "app2")}


def test_buggy_interpreters_inherit_a_module_they_did_not_set(buggy_load):
    document, rows = buggy_load
    assert document.verdict.kind == "REPRODUCED", document.verdict
    for row in rows:
        # Celery's lazily configured default app went where this interpreter's os.environ points...
        assert (row["broker"]["celery_app"], row["broker"]["loader"]) == ("default", "celery.loaders.default")
        assert row["broker"]["vhost"] == row["os_environ"]["CELERY_CONFIG_MODULE"].split(".")[0]
    # ...and some interpreter found another app's module there when it was created.
    inherited = {
        (row["pid"], row["application_group"])
        for row in rows
        if row["interpreter"]["inherited"]["CELERY_CONFIG_MODULE"]
        not in (None, f"{app_for_group(row['application_group'])}.celeryconfig")
    }
    assert inherited, rows
    # Every interpreter that misrouted during the load is one of them.
    misrouting = {(entry.pid, entry.application_group) for entry in document.interpreters if entry.foreign_config}
    seen = {(row["pid"], row["application_group"]) for row in rows}
    assert misrouting & seen <= inherited


def test_buggy_setdefault_keeps_a_value_the_process_already_had(runs, main_spec):
    # Deterministic form of the leak: the whole Apache process starts with app2's module.
    document = runs.get(dataclasses.replace(main_spec, code="buggy"), files=[POISONED], label="poisoned")
    per_app = document.checked.summary.per_app
    assert per_app["app1"].misrouted == per_app["app1"].sent > 0
    assert per_app["app2"].consumed_own == per_app["app2"].sent


def test_fixed_celery_app_ignores_the_environment(runs, main_spec):
    document = runs.get(dataclasses.replace(main_spec, code="fixed"), files=[POISONED], label="poisoned", xray=True)
    assert document.verdict.kind == "FIXED", document.verdict
    for row in runs.xray_after(document):
        assert row["c_environ"]["CELERY_CONFIG_MODULE"] == "app2.celeryconfig"  # the poison is there
        app = app_for_group(row["application_group"])
        assert row["broker"]["celery_app"] == app
        assert row["broker"]["loader"] == "celery.loaders.app"
        assert row["broker"]["config_module"] == f"{app}.celeryconfig"
        assert (row["broker"]["user"], row["broker"]["vhost"]) == (app, app)
    assert checker.accounted(document.totals)
