"""The seed's full story: bad credentials, Django settings, and the daemon-mode control."""

import pytest

from loadtest.lab import APP1_GROUP, app_for_group
from tests.integration.harness import suite_spec

LOGIN_REFUSED = "ACCESS_REFUSED - Login was refused"
# librabbitmq 1.0.3's text for ECONNREFUSED (0x2000006F: its OS-error category plus errno 111),
# as the 2013 report quotes it.
SOCKET_ERROR_2013 = "Error opening socket: Unknown error 536871023"


def test_bad_credentials_buggy_breaks_the_correctly_configured_app(runs):
    # The workshop's 2013 mystery, made deterministic: one Apache child, and app2's Host asked
    # first, alone. app2's interpreter is created first and writes its (broken) config into
    # the process; app1's interpreter, created next, inherits it.
    document = runs.exercise("mystery-2013")
    assert (document.spec.scenario, document.spec.code, document.spec.first) == ("bad-credentials", "buggy", "app2")
    assert document.verdict.kind == "REPRODUCED", document.verdict
    app1_causes = [cause for cause in document.checked.failure_causes if cause.app == "app1"]
    app1_sent = document.checked.summary.per_app["app1"].sent
    assert app1_causes and sum(cause.count for cause in app1_causes) == app1_sent
    for cause in app1_causes:
        # app1's own config is right: every app1 failure happened with app2's module.
        assert cause.config_module == "app2.celeryconfig"
        assert cause.error_kind == "login_refused" and LOGIN_REFUSED in cause.error
        assert cause.pid is not None and cause.application_group == APP1_GROUP


def test_bad_credentials_fixed_fails_only_the_misconfigured_app(runs, main_spec):
    document = runs.get(suite_spec(main_spec, command="fixed", code="fixed", scenario="bad-credentials"))
    per_app = document.checked.summary.per_app
    assert per_app["app1"].failed == per_app["app1"].misrouted == 0
    assert per_app["app1"].consumed_own == per_app["app1"].sent
    assert per_app["app2"].failed == per_app["app2"].sent > 0
    assert per_app["app2"].errors == {"login_refused": per_app["app2"].sent}
    assert {cause.config_module for cause in document.checked.failure_causes} == {"app2.celeryconfig"}
    assert document.verdict.kind == "FIXED", document.verdict


@pytest.mark.stack("bullseye")
def test_refused_broker_on_the_seeds_librabbitmq_fails_app1_with_the_2013_socket_error(runs):
    # docs/mechanism.md's stored run, smaller: app2's web config names a broker address where
    # nothing listens; app1's interpreter, created after app2's, fails with that config too.
    document = runs.get(suite_spec("make reproduce STACK=bullseye SCENARIO=refused-broker FIRST=app2 PROCESSES=1"))
    assert document.history.versions["librabbitmq"] == "1.0.3", document.history.versions
    assert document.verdict.kind == "REPRODUCED", document.verdict
    app1_causes = [cause for cause in document.checked.failure_causes if cause.app == "app1"]
    # Every failure of app1's is this cause, but not every request need fail: Apache can replace
    # the child mid-run (seen under ci-proof: the successor got app1's Host first, so app1's
    # later tasks went to its own vhost).
    assert 0 < sum(cause.count for cause in app1_causes) == document.checked.summary.per_app["app1"].failed

    socket_errors = [cause for cause in app1_causes if cause.error_kind != "connection_error"]
    assert socket_errors, app1_causes  # a connection error is the replaced child's cut request
    for cause in socket_errors:
        assert cause.config_module == "app2.celeryconfig"
        assert cause.error_kind == "socket_error" and SOCKET_ERROR_2013 in cause.error, cause


def test_django_settings_buggy_serves_one_app_with_the_others_settings(runs):
    # The workshop's `make reproduce SCENARIO=django-settings FIRST=app2 PROCESSES=1`.
    document = runs.exercise("django-settings")
    assert document.totals.wrong_settings > 0, document.verdict
    entries = document.interpreters
    wrong = [entry for entry in entries if entry.served_by != app_for_group(entry.application_group)]
    assert wrong, entries
    for entry in wrong:
        # It served the other app, with that app's settings, which it had inherited.
        settings = f"{entry.served_by}.settings"
        assert entry.wrong_settings and {use.value for use in entry.variables["DJANGO_SETTINGS_MODULE"].used} == {
            settings
        }
        assert entry.variables["DJANGO_SETTINGS_MODULE"].inherited == settings


def test_django_settings_fixed_serves_each_app_with_its_own(runs, main_spec):
    document = runs.get(suite_spec(main_spec, command="fixed", code="fixed", scenario="django-settings"))
    assert document.totals.wrong_settings == 0
    assert document.verdict.kind == "FIXED", document.verdict


def test_group_variable_written_by_python_routes_app1_into_app2s_interpreter(runs, main_spec):
    # docs/mechanism.md's stored run, smaller: app2's entry setdefault()s WSGI_APP_GROUP, as a .env
    # loader would; for app1's Host (SetEnvIf sets nothing) mod_wsgi expands %{ENV:WSGI_APP_GROUP}
    # with getenv() of the Apache child, which app2's write reached. app2's page view comes first.
    knobs = dict(command="reproduce", code="buggy", scenario="group-variable", first="app2", processes=1)
    document = runs.get(suite_spec(main_spec, **knobs))
    assert document.verdict.kind == "REPRODUCED", document.verdict
    per_app = document.checked.summary.per_app
    # Every app1 request was served by app2's Django, and its task published with app2's config.
    assert per_app["app1"].wrong_settings == per_app["app1"].misrouted == per_app["app1"].sent > 0
    assert per_app["app2"].consumed_own == per_app["app2"].sent > 0
    # app1's group was never created in that child: one interpreter, group 'app2', served both Hosts.
    [child] = document.checked.timeline
    assert [entry.application_group for entry in child.interpreters] == ["app2"]
    # mod_wsgi's own log agrees: it created one interpreter (it also attaches the main one, group '').
    assert {line.group for line in document.history.interpreter_log if line.action == "create"} == {"app2"}


def test_daemon_process_groups_isolate_the_buggy_code(runs):
    document = runs.exercise("daemon")
    assert (document.spec.code, document.spec.process_model) == ("buggy", "daemon")
    assert document.verdict.kind == "ISOLATED", document.verdict
    totals = document.totals
    assert totals.misrouted == totals.failed == 0
    for child in document.checked.timeline:
        # Each daemon process hosts one app only: nothing to inherit from.
        assert len({entry.host_app for entry in child.interpreters}) == 1
        assert all(not entry.inherited.get("CELERY_CONFIG_MODULE") for entry in child.interpreters)
