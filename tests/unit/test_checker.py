"""The referee's pure logic: error kinds, accounting, verdicts, timeline, failure causes."""

import pytest

from loadtest import checker, client, history, report, story, xray
from loadtest.lab import APP1_GROUP
from tests.unit import answers


def result(request_id, app, ok=True, error_kind=None):
    return {"request_id": request_id, "app": app, "ok": ok, "error_kind": error_kind}


def receipt(request_id, vhost):
    return {"request_id": request_id, "worker_vhost": vhost}


def trace(request_id, vhost, user=None):
    return {"request_id": request_id, "vhost": vhost, "user": user or vhost, "routed_queues": ["celery"]}


@pytest.mark.parametrize(
    ("status", "text", "exception", "kind"),
    [
        (
            502,
            "Couldn't log in: server connection error 403, message: ACCESS_REFUSED - Login was refused",
            None,
            "login_refused",
        ),
        (
            502,
            "Couldn't log in: server connection error 530, message: NOT_ALLOWED - vhost app2 not found",
            None,
            "vhost_refused",
        ),
        (502, "Error opening socket: a socket error occurred", None, "socket_error"),
        # librabbitmq 1.0.3 (the bullseye stack's, the seed's): errno 111 in its old encoding.
        (502, "Error opening socket: Unknown error 536871023", None, "socket_error"),
        (502, "Couldn't log in: Connection reset by peer", None, "login_refused"),
        (502, "[Errno 111] Connection refused", None, "socket_error"),
        (500, "<h1>Server Error (500)</h1>", None, "http_5xx"),
        (404, "Not Found", None, "http_4xx"),
        (None, "", "timeout", "timeout"),
        (None, "", "connection", "connection_error"),
    ],
)
def test_classify_error(status, text, exception, kind):
    assert client.classify_error(status, text, exception) == kind
    assert kind in client.ERROR_KINDS


def test_summary_counts_own_misrouted_failed_and_lost():
    results = [
        result("a", "app1"),
        result("b", "app1"),
        result("c", "app2"),
        result("d", "app2", ok=False, error_kind="login_refused"),
        result("e", "app1"),  # published, but no worker ever got it
    ]
    receipts = [receipt("a", "app1"), receipt("b", "app2"), receipt("c", "app2")]
    summary = checker.summarize(results, receipts)
    app1, app2, totals = summary["per_app"]["app1"], summary["per_app"]["app2"], summary["totals"]
    assert (app1["sent"], app1["consumed_own"], app1["misrouted"], app1["lost"]) == (3, 1, 1, 1)
    assert app1["misrouted_to"] == {"app2": 1}
    assert (app2["sent"], app2["consumed_own"], app2["failed"]) == (2, 1, 1)
    assert app2["errors"] == {"login_refused": 1}
    assert (totals["sent"], totals["misrouted"], totals["failed"], totals["lost"]) == (5, 1, 1, 1)
    assert not checker.accounted(totals)


def test_a_receipt_beats_the_web_sides_error():
    # The client timed out, but a worker did receive the task: it counts as consumed.
    results = [result("a", "app2", ok=False, error_kind="timeout")]
    summary = checker.summarize(results, [receipt("a", "app1")])
    assert summary["totals"]["misrouted"] == 1
    assert summary["totals"]["failed"] == 0
    assert checker.accounted(summary["totals"])


def test_unexpected_and_duplicate_receipts_are_counted():
    summary = checker.summarize(
        [result("a", "app1")], [receipt("a", "app1"), receipt("a", "app1"), receipt("z", "app2")]
    )
    assert summary["totals"]["duplicate_receipts"] == 1
    assert summary["totals"]["unexpected_receipts"] == 1


def summary(per_app=None, **counts):
    """A summary whose totals are `counts` over a 10-request default, and rows per app."""
    totals = {**dict.fromkeys(checker.COUNTS, 0), "sent": 10, "consumed_own": 10, **counts}
    rows = per_app or {"app1": {"failed": 0}, "app2": {"failed": totals["failed"]}}
    return {"totals": totals, "per_app": rows}


OWN_REFUSALS_ONLY = {"app1": {"failed": 0}, "app2": {"failed": 4, "own_config_errors": {"login_refused": 4}}}
SOME_OTHER_APP2_FAILURE = {
    "app1": {"failed": 0},
    "app2": {"failed": 4, "own_config_errors": {"login_refused": 3, "timeout": 1}},
}
APP1_FAILS_TOO = {"app1": {"failed": 1}, "app2": {"failed": 3, "own_config_errors": {"login_refused": 3}}}
APP2_ALL_REFUSED = {"app1": {"failed": 0}, "app2": {"failed": 10, "own_config_errors": {"login_refused": 10}}}
OWN_SOCKET_ERRORS = {"app1": {"failed": 0}, "app2": {"failed": 4, "own_config_errors": {"socket_error": 4}}}


@pytest.mark.parametrize(
    ("expected", "counts", "rows", "scenario", "broker_agrees", "kind"),
    [
        ("REPRODUCED", {"consumed_own": 7, "misrouted": 3}, None, "default", True, "REPRODUCED"),
        ("REPRODUCED", {}, None, "default", True, "NOT_REPRODUCED"),
        ("FIXED", {}, None, "default", True, "FIXED"),
        ("ISOLATED", {}, None, "default", True, "ISOLATED"),
        ("FIXED", {"consumed_own": 9, "failed": 1}, None, "default", True, "NOT_FIXED"),
        ("FIXED", {"consumed_own": 9, "misrouted": 1}, None, "default", True, "NOT_FIXED"),
        ("ISOLATED", {"consumed_own": 9, "misrouted": 1}, None, "default", True, "NOT_ISOLATED"),
        # The seed's mystery: app1, correctly configured, fails with app2's config.
        ("REPRODUCED", {"consumed_own": 6, "failed": 4, "foreign_failures": 3}, None, "bad-credentials", True,
         "REPRODUCED"),
        # With the fix app2's own login refusals remain, and they are by design...
        ("FIXED", {"consumed_own": 6, "failed": 4}, OWN_REFUSALS_ONLY, "bad-credentials", True, "FIXED"),
        # ...but no other app2 failure (a timeout, a 5xx), no failing app1, and only in that scenario.
        ("FIXED", {"consumed_own": 6, "failed": 4}, SOME_OTHER_APP2_FAILURE, "bad-credentials", True, "NOT_FIXED"),
        ("FIXED", {"consumed_own": 6, "failed": 4}, APP1_FAILS_TOO, "bad-credentials", True, "NOT_FIXED"),
        ("FIXED", {"consumed_own": 6, "failed": 4}, APP1_FAILS_TOO, "default", True, "NOT_FIXED"),
        # The seed's literal error: app2's own config names a broker address that refuses.
        ("FIXED", {"consumed_own": 6, "failed": 4}, OWN_SOCKET_ERRORS, "refused-broker", True, "FIXED"),
        ("FIXED", {"consumed_own": 6, "failed": 4}, OWN_SOCKET_ERRORS, "bad-credentials", True, "NOT_FIXED"),
        ("REPRODUCED", {"wrong_settings": 5}, None, "django-settings", True, "REPRODUCED"),
        ("FIXED", {"wrong_settings": 1}, None, "django-settings", True, "NOT_FIXED"),
        # No task at any worker: the broker may just be down...
        ("REPRODUCED", {"consumed_own": 0, "failed": 10}, None, "default", True, "INCONCLUSIVE"),
        ("FIXED", {"consumed_own": 0, "failed": 10}, APP2_ALL_REFUSED, "bad-credentials", True, "INCONCLUSIVE"),
        # ...unless the leak shows anyway: app1 requests refused with app2's bad config.
        ("REPRODUCED", {"consumed_own": 0, "failed": 10, "foreign_failures": 5}, None, "bad-credentials", True,
         "REPRODUCED"),
        # Counts that do not add up, witnesses that disagree.
        ("FIXED", {"duplicate_receipts": 1}, None, "default", True, "INCONCLUSIVE"),
        ("REPRODUCED", {"misrouted": 1, "consumed_own": 9, "unexpected_receipts": 1}, None, "default", True,
         "INCONCLUSIVE"),
        ("REPRODUCED", {"consumed_own": 6, "misrouted": 3, "lost": 1}, None, "default", True, "INCONCLUSIVE"),
        ("FIXED", {}, None, "default", False, "INCONCLUSIVE"),
    ],
)  # fmt: skip
def test_verdict_kinds(expected, counts, rows, scenario, broker_agrees, kind):
    verdict = checker.verdict(expected, summary(rows, **counts), broker_agrees, scenario)
    assert verdict.kind == kind
    assert verdict.success == (kind == expected)
    assert verdict.line.startswith(kind.replace("_", " ") + ": ")
    assert verdict.exit_status == (0 if kind == expected else 3 if kind == "INCONCLUSIVE" else 1)


def test_verdict_lines_say_the_counts():
    assert checker.verdict("REPRODUCED", summary(consumed_own=7, misrouted=3), True).line == (
        "REPRODUCED: 3 of 10 tasks misrouted, 0 requests failed, 0 lost"
    )
    line = checker.verdict("REPRODUCED", summary(consumed_own=6, failed=4, foreign_failures=3), True).line
    assert line == (
        "REPRODUCED: 3 requests failed with another app's Celery config; in all 0 of 10 tasks misrouted, "
        "4 requests failed (3 with another app's Celery config), 0 lost"
    )
    assert (
        "5 served with another app's Django settings"
        in checker.verdict("REPRODUCED", summary(wrong_settings=5), True).line
    )
    assert "no task reached any worker" in checker.verdict("FIXED", summary(consumed_own=0, failed=10), True).line


@pytest.mark.parametrize(
    ("code", "process_model", "expected"),
    [("buggy", "embedded", "REPRODUCED"), ("fixed", "embedded", "FIXED"), ("buggy", "daemon", "ISOLATED")],
)
def test_what_a_run_expects(code, process_model, expected):
    assert checker.expected_kind(code, process_model) == expected


def test_own_config_login_refusals_are_counted_apart_from_foreign_ones():
    own = answers.buggy(7, "app2", 1.0)
    results = [{"request_id": "a", "app": "app2", "ok": False, "error_kind": "login_refused", "response": own}]
    totals = checker.summarize(results, [])["totals"]
    per_app = checker.summarize(results, [])["per_app"]
    assert (per_app["app2"]["own_config_errors"], totals["foreign_failures"]) == ({"login_refused": 1}, 0)


def test_the_broker_witness_compares_task_by_task():
    results = [result(rid, "app1") for rid in "abcd"]
    receipts = [receipt("a", "app1"), receipt("a", "app1"), receipt("b", "app2"), receipt("c", "app1")]
    traces = [trace("a", "app1"), trace("b", "app2"), trace("c", "app1")]
    witness = checker.broker_witness(results, receipts, traces)
    # A task delivered twice was still published once; d never went anywhere: both agree.
    assert witness["publishes_by_vhost"] == witness["receipts_by_vhost"] == {"app1": 2, "app2": 1}
    assert witness["agrees"] and witness["publishers"] == {"app1@app1": 2, "app2@app2": 1}
    # A task the broker recorded in one vhost and a worker received from another: disagreement.
    moved = checker.broker_witness(results, receipts, [trace("a", "app2"), trace("b", "app2"), trace("c", "app1")])
    assert (moved["agrees"], moved["disagreements"]) == (False, 1)
    # A task a worker received that the broker never recorded: disagreement (outside a fault).
    assert not checker.broker_witness(results, receipts, traces[:2])["agrees"]


def test_timeline_orders_interpreters_by_creation_and_tells_each_variables_story():
    # Child 7: app2 created first; app1 created 0.5 s later copies app2's values, keeps the
    # Celery one (setdefault) and overwrites the Django one (assignment).
    poisoned = answers.buggy(7, "app1", 100.5, inherited_from="app2")
    results = [
        answers.result("a", "app1", poisoned),
        answers.result("b", "app2", answers.buggy(7, "app2", 100.0)),
        answers.result("c", "app1", poisoned, ok=False, error_kind="login_refused", error="403"),
    ]
    (child,) = story.timeline(results)
    first, second = child["interpreters"]
    assert (first["application_group"], first["poisoned"], first["inherited"]) == ("app2", False, {})
    assert first["variables"]["CELERY_CONFIG_MODULE"]["outcome"] == "own"
    assert second["application_group"] == APP1_GROUP and second["foreign_config"] and second["poisoned"]
    assert second["inherited"] == {
        "CELERY_CONFIG_MODULE": "app2.celeryconfig",
        "DJANGO_SETTINGS_MODULE": "app2.settings",
    }
    assert second["variables"]["CELERY_CONFIG_MODULE"]["outcome"] == "kept"
    assert second["variables"]["DJANGO_SETTINGS_MODULE"]["outcome"] == "overwrote"
    assert not second["wrong_settings"]
    assert second["published_to"] == {"app2@app2": 1} and second["errors"] == {"login_refused": 1}
    lines = report.format_timeline([child]).splitlines()
    assert "created +0.500s" in lines[4] and "first ran +0.504s" in lines[4]
    assert "CELERY_CONFIG_MODULE=app2.celeryconfig (kept it)" in lines[5]
    assert "DJANGO_SETTINGS_MODULE=app2.settings (overwrote it)" in lines[5]
    assert "ANOTHER APP'S CONFIG" in lines[6] and "ANOTHER APP'S CONFIG" not in lines[3]
    assert story.inheritance_conflicts([child]) == []


def test_a_celery_app_given_its_module_by_name_read_no_environment():
    # The fixed code: config_from_object() names each app's module; nothing wrote or inherited
    # CELERY_CONFIG_MODULE, so nothing "changed under" an interpreter (a stored fixed run once
    # said so of all four).
    results = [
        answers.result("a", "app2", answers.fixed(7, "app2", 100.0)),
        answers.result("b", "app1", answers.fixed(7, "app1", 100.5, inherited_from="app2")),
    ]
    (child,) = story.timeline(results)
    stories = [entry["variables"]["CELERY_CONFIG_MODULE"] for entry in child["interpreters"]]
    assert [story["outcome"] for story in stories] == ["none", "none"]
    assert [story["used"] for story in stories] == [{"app2.celeryconfig": 1}, {"app1.celeryconfig": 1}]
    assert "changed under it" not in report.format_timeline([child])
    # The same module read from the environment (the default app, lazily): it was.
    lazy = answers.answer(7, "app1", 100.5, config="app1.celeryconfig")
    (child,) = story.timeline([answers.result("c", "app1", lazy)])
    read = child["interpreters"][0]["variables"]["CELERY_CONFIG_MODULE"]
    assert (read["used"], read["outcome"], read["used_foreign"]) == ({"app1.celeryconfig": 1}, "none", False)


def test_an_interpreter_created_before_the_first_write_inherits_nothing_and_that_is_consistent():
    # app2's interpreter was created 1 ms before app1's writes, then waited for the module lock:
    # it first ran 1.5 s later. The time axis is the creation, and it agrees.
    late_runner = answers.buggy(8, "app2", 100.009)
    late_runner["interpreter"]["first_ran_at"] = 101.5
    results = [answers.result("a", "app1", answers.buggy(8, "app1", 100.0)), answers.result("b", "app2", late_runner)]
    (child,) = story.timeline(results)
    assert [entry["host_app"] for entry in child["interpreters"]] == ["app1", "app2"]
    assert child["interpreters"][1]["inherited"] == {}
    assert story.inheritance_conflicts([child]) == []


def test_an_interpreter_that_did_not_inherit_an_earlier_write_is_a_conflict():
    # app1 wrote at 100.01; app2's first request began at 100.5, yet it says it inherited nothing.
    clean_but_late = answers.buggy(9, "app2", 100.6)
    results = [
        answers.result("a", "app1", answers.buggy(9, "app1", 100.0)),
        answers.result("b", "app2", clean_but_late),
    ]
    conflicts = story.inheritance_conflicts(story.timeline(results))
    assert conflicts and all("before this interpreter existed" in conflict for conflict in conflicts)


def test_a_value_every_interpreter_inherited_is_the_processs_own():
    # Apache itself started with app2's module (tests/integration/poisoned-environment.yml).
    poisoned = {"CELERY_CONFIG_MODULE": "app2.celeryconfig"}
    results = [
        answers.result("a", "app2", answers.answer(9, "app2", 100.0, poisoned)),
        answers.result("b", "app1", answers.answer(9, "app1", 100.5, poisoned)),
    ]
    assert story.inheritance_conflicts(story.timeline(results)) == []


def test_a_value_nobody_had_written_yet_is_a_conflict():
    # app2's interpreter was created at 100.005, before app1's write at 100.01, yet claims app1's value.
    early = answers.buggy(9, "app2", 100.005, inherited_from="app1")
    results = [answers.result("a", "app1", answers.buggy(9, "app1", 100.0)), answers.result("b", "app2", early)]
    conflicts = story.inheritance_conflicts(story.timeline(results))
    assert any("which no interpreter had written yet" in conflict for conflict in conflicts)


def test_mod_wsgis_log_lines_are_read_and_shown_beside_the_interpreters_record():
    log = (
        "[2026-11-30 20:47:02.045828] [wsgi:info] [pid 7:tid 12] mod_wsgi (pid=7): Create interpreter 'app2'.\n"
        "[2026-11-30 20:47:02.046000] [mpm_event:notice] [pid 1:tid 1] AH00489: Apache configured\n"
        "[2026-11-30 20:47:01.000001] [wsgi:info] [pid 7:tid 7] mod_wsgi (pid=7): Attach interpreter ''.\n"
    )
    lines = history.interpreter_lines(log)
    assert [(line["pid"], line["group"], line["action"]) for line in lines] == [
        (7, "app2", "create"),
        (7, "", "attach"),
    ]
    assert lines[0]["at"] == 1796071622.045828
    created = lines[0]["at"] - 0.0005
    (child,) = story.timeline([answers.result("a", "app2", answers.buggy(7, "app2", created))], lines)
    assert child["interpreters"][0]["logged_at"] == lines[0]["at"]


def test_failures_are_attributed_to_host_interpreter_and_config():
    response = answers.buggy(8, "app1", 1.0, inherited_from="app2")
    results = [
        answers.result(str(i), "app1", response, ok=False, error_kind="login_refused", error="Couldn't log in: 403")
        for i in range(3)
    ]
    (cause,) = checker.failure_causes(results)
    assert (cause["app"], cause["pid"], cause["config_module"], cause["count"]) == ("app1", 8, "app2.celeryconfig", 3)
    summary_ = checker.summarize(results, [])
    assert summary_["totals"]["foreign_failures"] == 3 and summary_["totals"]["failed"] == 3


def test_table_has_a_row_per_app_and_a_total():
    summary = checker.summarize([result("a", "app1")], [receipt("a", "app2")])
    lines = report.format_table(summary).splitlines()
    assert [line.split()[0] for line in lines[2:]] == ["app1", "app2", "total"]


FAULT = {"fault": "broker-restart", "began_at": 100.0, "ended_at": 110.0, "steps": []}


def timed(request_id, app, answered_at, ok=True, error_kind=None, sent_at=None, pid=None):
    row = {**result(request_id, app, ok, error_kind), "answered_at": answered_at, "sent_at": sent_at or answered_at}
    if pid is not None:
        row["response"] = {"pid": pid, "application_group": app}
    return row


def test_failures_and_losses_during_a_fault_are_counted_apart_until_the_web_side_recovers():
    results = [
        timed("a", "app1", 50.0),  # consumed, before the fault
        timed("b", "app1", 100.5, ok=False, error_kind="socket_error"),  # the broker went away
        timed("c", "app2", 105.0),  # answered 200 during the fault, never consumed
        timed("d", "app2", 111.5, ok=False, error_kind="socket_error", sent_at=110.2),  # after the step, not back yet
        timed("r", "app1", 112.0, sent_at=111.0),  # the first success sent after the fault ended: recovered
        timed("e", "app1", 130.0, ok=False, error_kind="http_5xx"),  # after the recovery: not the fault's
    ]
    totals = checker.summarize(results, [receipt("a", "app1"), receipt("r", "app1")], FAULT)["totals"]
    assert (totals["failed"], totals["failed_in_fault"]) == (3, 2)
    assert (totals["lost"], totals["lost_in_fault"], totals["lost_before_broker"]) == (1, 1, 1)
    assert checker.accounted(totals)
    # Without the fault's record, the same loss is unexplained.
    assert not checker.accounted(checker.summarize(results, [receipt("a", "app1"), receipt("r", "app1")])["totals"])


def test_each_interpreter_recovers_on_its_own():
    results = [
        timed("x", "app1", 111.0, sent_at=110.5, pid=7),  # child 7 works again at 111
        timed("y", "app2", 112.0, ok=False, error_kind="socket_error", sent_at=111.5, pid=8),  # child 8 not yet
        timed("z", "app2", 113.0, sent_at=112.5, pid=8),  # child 8 works again at 113
        timed("w", "app1", 112.5, ok=False, error_kind="socket_error", sent_at=112.4, pid=7),  # 7 had recovered
    ]
    span = checker.fault_span(FAULT, results)
    assert [checker.in_fault(row, span) for row in results] == [True, True, True, False]


def test_a_fixed_run_through_a_fault_is_fixed_and_says_what_the_fault_cost():
    results = [
        timed("a", "app1", 50.0),
        timed("b", "app2", 105.0, ok=False, error_kind="socket_error"),
        timed("r", "app1", 112.0, sent_at=111.0),
    ]
    receipts = [receipt("a", "app1"), receipt("r", "app1")]
    verdict = checker.verdict("FIXED", checker.summarize(results, receipts, FAULT), True)
    assert verdict.kind == "FIXED", verdict.line
    assert "during the fault 1 failed with the error they got" in verdict.line
    # The same failure after the web side recovered is not excused.
    late = [*results[:1], results[2], timed("b", "app2", 140.0, ok=False, error_kind="socket_error")]
    assert checker.verdict("FIXED", checker.summarize(late, receipts, FAULT), True).kind == "NOT_FIXED"


def test_the_broker_witness_leaves_out_what_its_firehose_could_not_see():
    # The broker restarts (100 to 110 s); the web side works again at 111; the firehose's queue
    # is back and consumed at 112.5 (app1) and 113 (app2): a task published before that has no
    # broker record although a worker received it.
    results = [
        timed("a", "app1", 50.0),
        timed("r", "app1", 111.0, sent_at=110.5),
        timed("s", "app1", 112.0, sent_at=111.5),
        timed("t", "app1", 114.0, sent_at=113.5),
    ]
    receipts = [receipt(rid, "app1") for rid in "arst"]
    traces = [trace("a", "app1"), trace("t", "app1")]
    events = [{"vhost": "app1", "at": 10.0}, {"vhost": "app2", "at": 10.0}]  # the first start: before the fault
    span = checker.fault_span(FAULT, results)
    assert checker.firehose_resumed(events, span) is None  # it never stopped: nothing is left out
    assert not checker.broker_witness(results, receipts, traces, span)["agrees"]
    events += [{"vhost": "app1", "at": 112.5}, {"vhost": "app2", "at": 113.0}]
    resumed = checker.firehose_resumed(events, span)
    witness = checker.broker_witness(results, receipts, traces, span, resumed)
    assert resumed == 113.0 and witness["firehose_resumed_after"] == 13.0
    # r is the web side's recovery (within the fault); s was sent before 113, t after.
    assert (witness["agrees"], witness["not_judged"]) == (True, 1)
    # A task sent after the firehose was back and missing from its record still disagrees.
    assert not checker.broker_witness(results, receipts, traces[:1], span, resumed)["agrees"]


@pytest.mark.parametrize(
    ("counts", "broker_agrees", "says"),
    [
        ({"lost": 2}, True, "2 answered 200 but never reached a worker, outside any fault"),
        ({"duplicate_receipts": 1}, True, "1 tasks were received twice"),
        ({"unexpected_receipts": 3}, True, "3 receipts are for requests this run did not send"),
        ({}, False, "the broker's record of the tasks (its firehose) disagrees with the workers' receipts"),
    ],
)
def test_an_inconclusive_verdict_says_what_is_missing(counts, broker_agrees, says):
    verdict = checker.verdict("FIXED", summary(consumed_own=10 - counts.get("lost", 0), **counts), broker_agrees)
    assert verdict.kind == "INCONCLUSIVE" and verdict.line.endswith(says)


def test_a_task_redelivered_after_the_fault_is_not_a_mystery():
    results = [timed("a", "app1", 50.0), timed("b", "app2", 99.5)]
    twice = [
        receipt("a", "app1"),
        {**receipt("b", "app2"), "received_at": 99.6},
        {**receipt("b", "app2"), "received_at": 112.0},  # again, once the broker was back
    ]
    summary_ = checker.summarize(results, twice, FAULT)
    assert summary_["totals"]["redelivered_in_fault"] == 1 and checker.accounted(summary_["totals"])
    verdict = checker.verdict("FIXED", summary_, True)
    assert verdict.kind == "FIXED" and "1 consumed twice (redelivered" in verdict.line
    # Without a fault, a task received twice is unexplained.
    assert checker.verdict("FIXED", checker.summarize(results, twice), True).kind == "INCONCLUSIVE"


def why(*responses):
    """The explanation of a run whose interpreters gave these answers (one request each)."""
    results = [answers.result(str(i), response["served_by"], response) for i, response in enumerate(responses)]
    return story.explanation(story.timeline(results))


def test_explanation_of_the_buggy_run_names_both_variables():
    sentences = why(answers.buggy(1, "app2", 10.0), answers.buggy(1, "app1", 10.5, inherited_from="app2"))
    assert sentences[0].startswith(
        "1 of 2 interpreters used another app's CELERY_CONFIG_MODULE (Celery: its configuration module): "
        "they inherited it"
    )
    assert sentences[1].startswith(
        "1 interpreter inherited another app's DJANGO_SETTINGS_MODULE (Django: its settings module) and overwrote it"
    )
    assert len(sentences) == 2


def test_explanation_of_the_fixed_run_says_what_still_passes_through_the_environment():
    sentences = why(answers.fixed(1, "app2", 10.0), answers.fixed(1, "app1", 10.5, inherited_from="app2"))
    assert sentences == [
        "1 interpreter inherited another app's DJANGO_SETTINGS_MODULE (Django: its settings module) and "
        "overwrote it before Django read it: the "
        "entries still write DJANGO_SETTINGS_MODULE into the process environment (os.environ[...] = ... calls "
        "putenv()), which every interpreter mod_wsgi creates later in that child copies: each interpreter's "
        "os.environ wraps a dict of its own, as this run measured (Python 3.9 and later copy it).",
        "Every Celery app in all 2 interpreters took its configuration from a named module (config_from_object()): "
        "CELERY_CONFIG_MODULE was never read.",
    ]


def test_explanation_of_an_assignment_that_overwrote_what_it_inherited():
    overwrote = answers.answer(
        1,
        "app1",
        10.5,
        {"CELERY_CONFIG_MODULE": "app2.celeryconfig"},
        (("CELERY_CONFIG_MODULE", "app1.celeryconfig", 0.01),),
    )
    sentences = why(answers.buggy(1, "app2", 10.0), overwrote)
    assert sentences == [
        "1 interpreter inherited another app's CELERY_CONFIG_MODULE (Celery: its configuration module) and "
        "overwrote it before Celery read it: the "
        "entries still write CELERY_CONFIG_MODULE into the process environment (os.environ[...] = ... calls "
        "putenv()), which every interpreter mod_wsgi creates later in that child copies: each interpreter's "
        "os.environ wraps a dict of its own, as this run measured (Python 3.9 and later copy it)."
    ]


def test_explanation_words_the_environment_as_the_run_measured_it():
    """Where the interpreters of a child share one dict (Python 2.7, 3.x up to 3.8), an assignment
    reaches the others at once; where the run could not tell (one interpreter per child), the
    sentence says only what holds on every Python."""

    def overwrote(shared_id=None):
        inherited = {"CELERY_CONFIG_MODULE": "app2.celeryconfig"}
        writes = (("CELERY_CONFIG_MODULE", "app1.celeryconfig", 0.01),)
        return answers.answer(1, "app1", 10.5, inherited, writes, environ_dict_id=shared_id)

    shared = why(answers.answer(1, "app2", 10.0, environ_dict_id=77), overwrote(77))
    assert shared[0].endswith(
        "putenv()), and in each Apache child every interpreter's os.environ wraps one and the same dict, as this "
        "run measured (Python 2.7, and 3.x up to 3.8, share it): each write reaches the other interpreters at once, "
        "the last writer wins."
    ), shared
    alone = story.explanation(story.timeline([answers.result("b", "app1", overwrote())]))
    assert alone[0].endswith("which every interpreter mod_wsgi creates later in that child inherits."), alone


def test_explanation_of_django_settings_kept_from_another_app():
    kept = answers.answer(
        1,
        "app1",
        10.5,
        {"DJANGO_SETTINGS_MODULE": "app2.settings", "CELERY_CONFIG_MODULE": "app2.celeryconfig"},
        settings="app2.settings",
        config="app2.celeryconfig",
    )
    sentences = why(answers.buggy(1, "app2", 10.0), kept)
    assert any(s.startswith("1 of 2 interpreters used another app's DJANGO_SETTINGS_MODULE") for s in sentences)


def test_explanation_of_an_app_that_only_some_threads_used():
    own = answers.answer(1, "app2", 10.0, loader="celery.loaders.app", celery_app="app2", config_from_environment=False)
    fallback = answers.answer(1, "app2", 10.0, config=None)
    fallback["broker"]["config_module"] = None
    results = [answers.result(str(i), "app2", own) for i in range(3)] + [answers.result("x", "app2", fallback)]
    sentences = story.explanation(story.timeline(results))
    assert any("app.set_default() makes it every thread's" in sentence for sentence in sentences)
    assert any(
        sentence.startswith("1 requests in 1 interpreter published with no Celery config") for sentence in sentences
    )


def test_explanation_of_a_run_where_nothing_was_inherited_and_of_no_run():
    assert why(answers.buggy(1, "app1", 10.0)) == [
        "None of the 1 interpreters inherited another app's value of a watched variable (CELERY_CONFIG_MODULE, "
        "DJANGO_SETTINGS_MODULE, CELERY_BROKER_URL, DATABASE_URL, SECRET_KEY): nothing passed from one app "
        "to the other through the process environment."
    ]
    assert story.explanation([]) == []


def test_process_cost_counts_processes_memory_and_daemon_processes():
    processes = [
        {"pid": 1, "command": "apache2 -DFOREGROUND", "rss_kib": 10240},
        {"pid": 7, "command": "(wsgi:app1)     -DFOREGROUND", "rss_kib": 40960},
        {"pid": 8, "command": "(wsgi:app2)     -DFOREGROUND", "rss_kib": 40960},
    ]
    assert xray.process_cost(processes) == {"processes": 3, "rss_mib": 90, "daemon_processes": 2}


def twelve_factor_results():
    """Four requests of SCENARIO=twelve-factor: app1's own; app2's in app1's database signed with
    app1's key; app2's refused by PostgreSQL; app1's answered 200 with no row anywhere."""
    ok = {"served_by": "app1"}
    return [
        {"request_id": "r-0", "app": "app1", "ok": True, "response": ok},
        {"request_id": "r-1", "app": "app2", "ok": True, "response": {"served_by": "app2"}},
        {"request_id": "r-2", "app": "app2", "ok": False, "error_kind": "database_refused", "error": "pg_hba"},
        {"request_id": "r-3", "app": "app1", "ok": True, "response": ok},
    ]


def test_rows_and_signatures_are_counted_from_postgresql_and_the_keys():
    rows = {"r-0": ["app1"], "r-1": ["app1"], "r-3": []}
    signers = {"r-0": "app1", "r-1": "app1", "r-3": "neither"}
    receipts = [{"request_id": rid, "worker_vhost": app} for rid, app in (("r-0", "app1"), ("r-1", "app1"))]
    summary = checker.summarize(twelve_factor_results(), receipts, rows=rows, signers=signers)
    app1, app2 = summary["per_app"]["app1"], summary["per_app"]["app2"]
    assert summary["database"] is True
    assert (app1["rows_own"], app1["rows_none"], app1["rows_lost"]) == (1, 1, 1)
    assert (app2["rows_other"], app2["rows_refused"]) == (1, 1)
    assert (app1["signed_own"], app1["signed_neither"], app2["signed_other"], app2["signed_none"]) == (1, 1, 1, 1)
    verdict = checker.verdict("REPRODUCED", summary, True)
    # A row PostgreSQL does not hold and an answer signed with neither key are not evidence: unknown.
    assert verdict.kind == "INCONCLUSIVE" and "PostgreSQL holds no row" in verdict.line, verdict
    assert "signed with a key of neither app" in verdict.line


def test_a_row_in_the_other_apps_database_is_a_leak_even_with_no_task_misrouted():
    results = twelve_factor_results()[:2]
    receipts = [{"request_id": "r-0", "worker_vhost": "app1"}, {"request_id": "r-1", "worker_vhost": "app2"}]
    summary = checker.summarize(
        results, receipts, rows={"r-0": ["app1"], "r-1": ["app1"]}, signers={"r-0": "app1", "r-1": "app2"}
    )
    assert summary["totals"]["misrouted"] == 0
    assert checker.verdict("REPRODUCED", summary, True).kind == "REPRODUCED"
    fixed = checker.verdict("FIXED", summary, True)
    assert fixed.kind == "NOT_FIXED" and "1 rows in the other app's database" in fixed.line, fixed


def test_row_and_signature_outcomes():
    app2 = {"app": "app2"}
    assert [checker.row_outcome(app2, where) for where in (["app2"], ["app1"], ["app1", "app2"], [])] == [
        "own", "other", "both", "none",
    ]  # fmt: skip
    assert checker.row_outcome({**app2, "error_kind": "database_refused"}, []) == "refused"
    assert [checker.signature_outcome(app2, who) for who in ("app2", "app1", "neither", None)] == [
        "own", "other", "neither", "none",
    ]  # fmt: skip


def clock(c_offset, django_offset):
    return {"localtime_zone": "?", "localtime_offset": c_offset, "django_zone": "?", "django_offset": django_offset}


def test_answers_whose_c_library_clock_is_in_another_apps_zone_are_counted_and_are_the_leak():
    results = [
        {"request_id": "t-0", "app": "app1", "ok": True, "response": {"clock": clock("+0900", "+0900")}},
        {"request_id": "t-1", "app": "app1", "ok": True, "response": {"clock": clock("-0800", "+0900")}},
        {"request_id": "t-2", "app": "app2", "ok": True, "response": {"clock": clock("-0800", "-0800")}},
    ]
    receipts = [{"request_id": r["request_id"], "worker_vhost": r["app"]} for r in results]
    summary = checker.summarize(results, receipts)
    assert summary["clock"] and summary["per_app"]["app1"]["wrong_clock"] == 1
    assert summary["totals"]["clocks"] == 3
    assert checker.verdict("FIXED", summary, True).kind == "NOT_FIXED"
    assert (
        "1 answers with the C library's clock in another app's time zone"
        in checker.verdict("REPRODUCED", summary, True).line
    )
