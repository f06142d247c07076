"""The referee's pure logic: error kinds, accounting, verdicts, timeline, failure causes and the
reasons, compared as data (codes and counts); the sentences are test_phrasebook.py's."""

import dataclasses

import pytest

from loadtest import checker, client, history, story, xray
from loadtest.lab import APP1_GROUP
from loadtest.records import Clock, FirehoseEvent, Process, ProcessCost
from tests.unit import answers
from tests.unit.answers import receipt, result, run_history, trace


@pytest.mark.parametrize(
    ("status", "text", "exception", "kind"),
    [
        (502, "Couldn't log in: server connection error 403, message: ACCESS_REFUSED - Login was refused", None,
         "login_refused"),
        (502, "Couldn't log in: server connection error 530, message: NOT_ALLOWED - vhost app2 not found", None,
         "vhost_refused"),
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
)  # fmt: skip
def test_classify_error(status, text, exception, kind):
    assert client.classify_error(status, text, exception) == kind
    assert kind in client.ERROR_KINDS


def summarize(results, receipts=(), fault=None, **more):
    recorded = run_history(results, receipts, fault=fault, **more)
    return checker.summarize(recorded, checker.fault_span(fault, recorded.results))


def test_summary_counts_own_misrouted_failed_and_lost():
    results = [
        result("a", "app1"),
        result("b", "app1"),
        result("c", "app2"),
        result("d", "app2", ok=False, error_kind="login_refused"),
        result("e", "app1"),  # published, but no worker ever got it
    ]
    summary = summarize(results, [receipt("a", "app1"), receipt("b", "app2"), receipt("c", "app2")])
    app1, app2, totals = summary.per_app["app1"], summary.per_app["app2"], summary.totals
    assert (app1.sent, app1.consumed_own, app1.misrouted, app1.lost) == (3, 1, 1, 1)
    assert app1.misrouted_to == {"app2": 1}
    assert (app2.sent, app2.consumed_own, app2.failed, app2.errors) == (2, 1, 1, {"login_refused": 1})
    assert (totals.sent, totals.misrouted, totals.failed, totals.lost) == (5, 1, 1, 1)
    assert checker.missing(totals, True) == ("lost_outside_fault",)


def test_a_receipt_beats_the_web_sides_error():
    # The client timed out, but a worker did receive the task: it counts as consumed.
    summary = summarize([result("a", "app2", ok=False, error_kind="timeout")], [receipt("a", "app1")])
    assert (summary.totals.misrouted, summary.totals.failed) == (1, 0)
    assert checker.accounted(summary.totals)


def test_unexpected_and_duplicate_receipts_are_counted():
    summary = summarize([result("a", "app1")], [receipt("a", "app1"), receipt("a", "app1"), receipt("z", "app2")])
    assert (summary.totals.duplicate_receipts, summary.totals.unexpected_receipts) == (1, 1)
    assert checker.missing(summary.totals, True) == ("received_twice", "unexpected_receipts")


def summary_of(per_app=None, **counts):
    """A summary whose totals are `counts` over a 10-request default, and rows per app."""
    totals = checker.Totals(**{"sent": 10, "consumed_own": 10, **counts})
    rows = {app: checker.Counts(**row) for app, row in (per_app or {"app2": {"failed": totals.failed}}).items()}
    return checker.Summary(per_app={"app1": checker.Counts(), **rows}, totals=totals)


OWN_REFUSALS_ONLY = {"app2": {"failed": 4, "own_config_errors": {"login_refused": 4}}}
SOME_OTHER_APP2_FAILURE = {"app2": {"failed": 4, "own_config_errors": {"login_refused": 3, "timeout": 1}}}
APP1_FAILS_TOO = {"app1": {"failed": 1}, "app2": {"failed": 3, "own_config_errors": {"login_refused": 3}}}
APP2_ALL_REFUSED = {"app2": {"failed": 10, "own_config_errors": {"login_refused": 10}}}
OWN_SOCKET_ERRORS = {"app2": {"failed": 4, "own_config_errors": {"socket_error": 4}}}


@pytest.mark.parametrize(
    ("expected", "counts", "rows", "scenario", "broker_agrees", "kind", "evidence", "missing"),
    [
        ("REPRODUCED", {"consumed_own": 7, "misrouted": 3}, None, "default", True, "REPRODUCED", (), ()),
        ("REPRODUCED", {}, None, "default", True, "NOT_REPRODUCED", (), ()),
        ("FIXED", {}, None, "default", True, "FIXED", (), ()),
        ("ISOLATED", {}, None, "default", True, "ISOLATED", (), ()),
        ("FIXED", {"consumed_own": 9, "failed": 1}, None, "default", True, "NOT_FIXED", (), ()),
        ("FIXED", {"consumed_own": 9, "misrouted": 1}, None, "default", True, "NOT_FIXED", (), ()),
        ("ISOLATED", {"consumed_own": 9, "misrouted": 1}, None, "default", True, "NOT_ISOLATED", (), ()),
        # The seed's mystery: app1, correctly configured, fails with app2's config.
        ("REPRODUCED", {"consumed_own": 6, "failed": 4, "foreign_failures": 3}, None, "bad-credentials", True,
         "REPRODUCED", ("foreign_failures",), ()),
        # With the fix app2's own login refusals remain, and they are by design...
        ("FIXED", {"consumed_own": 6, "failed": 4}, OWN_REFUSALS_ONLY, "bad-credentials", True, "FIXED", (), ()),
        # ...but no other app2 failure (a timeout, a 5xx), no failing app1, and only in that scenario.
        ("FIXED", {"consumed_own": 6, "failed": 4}, SOME_OTHER_APP2_FAILURE, "bad-credentials", True, "NOT_FIXED",
         (), ()),
        ("FIXED", {"consumed_own": 6, "failed": 4}, APP1_FAILS_TOO, "bad-credentials", True, "NOT_FIXED", (), ()),
        ("FIXED", {"consumed_own": 6, "failed": 4}, APP1_FAILS_TOO, "default", True, "NOT_FIXED", (), ()),
        # The seed's literal error: app2's own config names a broker address that refuses.
        ("FIXED", {"consumed_own": 6, "failed": 4}, OWN_SOCKET_ERRORS, "refused-broker", True, "FIXED", (), ()),
        ("FIXED", {"consumed_own": 6, "failed": 4}, OWN_SOCKET_ERRORS, "bad-credentials", True, "NOT_FIXED", (), ()),
        ("REPRODUCED", {"wrong_settings": 5}, None, "django-settings", True, "REPRODUCED", ("wrong_settings",), ()),
        ("FIXED", {"wrong_settings": 1}, None, "django-settings", True, "NOT_FIXED", ("wrong_settings",), ()),
        # No task at any worker: the broker may just be down...
        ("REPRODUCED", {"consumed_own": 0, "failed": 10}, None, "default", True, "INCONCLUSIVE", (),
         ("no_task_reached_a_worker",)),
        ("FIXED", {"consumed_own": 0, "failed": 10}, APP2_ALL_REFUSED, "bad-credentials", True, "INCONCLUSIVE", (),
         ("no_task_reached_a_worker",)),
        # ...unless the leak shows anyway: app1 requests refused with app2's bad config.
        ("REPRODUCED", {"consumed_own": 0, "failed": 10, "foreign_failures": 5}, None, "bad-credentials", True,
         "REPRODUCED", ("foreign_failures",), ()),
        # Counts that do not add up, witnesses that disagree.
        ("FIXED", {"duplicate_receipts": 1}, None, "default", True, "INCONCLUSIVE", (), ("received_twice",)),
        ("REPRODUCED", {"misrouted": 1, "consumed_own": 9, "unexpected_receipts": 1}, None, "default", True,
         "INCONCLUSIVE", (), ("unexpected_receipts",)),
        ("REPRODUCED", {"consumed_own": 6, "misrouted": 3, "lost": 1}, None, "default", True, "INCONCLUSIVE", (),
         ("lost_outside_fault",)),
        ("FIXED", {}, None, "default", False, "INCONCLUSIVE", (), ("broker_disagrees",)),
        ("FIXED", {"lost": 2, "consumed_own": 8}, None, "default", True, "INCONCLUSIVE", (), ("lost_outside_fault",)),
    ],
)  # fmt: skip
def test_verdict_kinds(expected, counts, rows, scenario, broker_agrees, kind, evidence, missing):
    verdict = checker.verdict(expected, summary_of(rows, **counts), broker_agrees, scenario)
    assert verdict == checker.Verdict(kind, kind == expected, expected, evidence=evidence, missing=missing)
    assert verdict.exit_status == (0 if kind == expected else 3 if kind == "INCONCLUSIVE" else 1)


def test_a_problem_of_the_lab_makes_the_run_inconclusive_in_its_own_words():
    verdict = checker.verdict("FIXED", summary_of(), True, problems=["GET /xray/ failed (Failed)"])
    assert (verdict.kind, verdict.problems) == ("INCONCLUSIVE", ("GET /xray/ failed (Failed)",))


@pytest.mark.parametrize(
    ("code", "process_model", "expected"),
    [("buggy", "embedded", "REPRODUCED"), ("fixed", "embedded", "FIXED"), ("buggy", "daemon", "ISOLATED")],
)
def test_what_a_run_expects(code, process_model, expected):
    assert checker.expected_kind(code, process_model) == expected


def test_own_config_login_refusals_are_counted_apart_from_foreign_ones():
    own = answers.buggy(7, "app2", 1.0)
    summary = summarize([result("a", "app2", own, ok=False, error_kind="login_refused")])
    assert (summary.per_app["app2"].own_config_errors, summary.totals.foreign_failures) == ({"login_refused": 1}, 0)


def test_the_broker_witness_compares_task_by_task():
    results = [result(rid, "app1") for rid in "abcd"]
    receipts = [receipt("a", "app1"), receipt("a", "app1"), receipt("b", "app2"), receipt("c", "app1")]
    traces = [trace("a", "app1"), trace("b", "app2"), trace("c", "app1")]
    witness = checker.broker_witness(results, receipts, traces)
    # A task delivered twice was still published once; d never went anywhere: both agree.
    assert witness.publishes_by_vhost == witness.receipts_by_vhost == {"app1": 2, "app2": 1}
    assert witness.agrees and witness.publishers == {"app1@app1": 2, "app2@app2": 1}
    # A task the broker recorded in one vhost and a worker received from another: disagreement.
    moved = checker.broker_witness(results, receipts, [trace("a", "app2"), trace("b", "app2"), trace("c", "app1")])
    assert (moved.agrees, moved.disagreements) == (False, 1)
    # A task a worker received that the broker never recorded: disagreement (outside a fault).
    assert not checker.broker_witness(results, receipts, traces[:2]).agrees


def timeline(*results, **more):
    return story.timeline(run_history(results, **more))


def test_timeline_orders_interpreters_by_creation_and_tells_each_variables_story():
    # Child 7: app2 created first; app1 created 0.5 s later copies app2's values, keeps the
    # Celery one (setdefault) and overwrites the Django one (assignment).
    poisoned = answers.buggy(7, "app1", 100.5, inherited_from="app2")
    (child,) = timeline(
        result("a", "app1", poisoned),
        result("b", "app2", answers.buggy(7, "app2", 100.0)),
        result("c", "app1", poisoned, ok=False, error_kind="login_refused", error="403"),
    )
    first, second = child.interpreters
    assert (first.application_group, first.poisoned, first.inherited) == ("app2", False, {})
    assert first.variables["CELERY_CONFIG_MODULE"].outcome == "own"
    assert second.application_group == APP1_GROUP and second.foreign_config and second.poisoned
    assert second.inherited == {"CELERY_CONFIG_MODULE": "app2.celeryconfig", "DJANGO_SETTINGS_MODULE": "app2.settings"}
    celery, django = second.variables["CELERY_CONFIG_MODULE"], second.variables["DJANGO_SETTINGS_MODULE"]
    assert (celery.outcome, celery.kept_by, django.outcome) == ("kept", "setdefault", "overwrote")
    assert not second.wrong_settings and second.used_foreign == ("CELERY_CONFIG_MODULE",)
    assert second.published_to == {"app2@app2": 1} and second.errors == {"login_refused": 1}
    assert story.source_of(child.interpreters, 1, "CELERY_CONFIG_MODULE") == 0
    assert story.inheritance_conflicts([child]) == ()


def test_a_celery_app_given_its_module_by_name_read_no_environment():
    # The fixed code: config_from_object() names each app's module; nothing wrote or inherited
    # CELERY_CONFIG_MODULE, so nothing "changed under" an interpreter.
    (child,) = timeline(
        result("a", "app2", answers.fixed(7, "app2", 100.0)),
        result("b", "app1", answers.fixed(7, "app1", 100.5, inherited_from="app2")),
    )
    stories = [entry.variables["CELERY_CONFIG_MODULE"] for entry in child.interpreters]
    assert [s.outcome for s in stories] == ["none", "none"]
    assert [s.used for s in stories] == [(story.Use("app2.celeryconfig", 1),), (story.Use("app1.celeryconfig", 1),)]
    # The same module read from the environment (the default app, lazily): it was.
    (child,) = timeline(result("c", "app1", answers.answer(7, "app1", 100.5, config="app1.celeryconfig")))
    read = child.interpreters[0].variables["CELERY_CONFIG_MODULE"]
    assert (read.used, read.outcome, read.used_foreign) == ((story.Use("app1.celeryconfig", 1),), "none", False)


def test_an_interpreter_created_before_the_first_write_inherits_nothing_and_that_is_consistent():
    # app2's interpreter was created 1 ms before app1's writes, then waited for the module lock:
    # it first ran 1.5 s later. The time axis is the creation, and it agrees.
    late_runner = answers.with_interpreter(answers.buggy(8, "app2", 100.009), first_ran_at=101.5)
    (child,) = timeline(result("a", "app1", answers.buggy(8, "app1", 100.0)), result("b", "app2", late_runner))
    assert [entry.host_app for entry in child.interpreters] == ["app1", "app2"]
    assert child.interpreters[1].inherited == {}
    assert story.inheritance_conflicts([child]) == ()


def test_an_interpreter_that_did_not_inherit_an_earlier_write_is_a_conflict():
    # app1 wrote at 100.01; app2's first request began at 100.5, yet it says it inherited nothing.
    children = timeline(
        result("a", "app1", answers.buggy(9, "app1", 100.0)), result("b", "app2", answers.buggy(9, "app2", 100.6))
    )
    conflicts = story.inheritance_conflicts(children)
    assert conflicts and {c.code for c in conflicts} == {"was_before"}
    assert {(c.variable, c.value, c.inherited) for c in conflicts} == {
        ("CELERY_CONFIG_MODULE", "app1.celeryconfig", None), ("DJANGO_SETTINGS_MODULE", "app1.settings", None),
    }  # fmt: skip


def test_a_value_every_interpreter_inherited_is_the_processs_own():
    # Apache itself started with app2's module (tests/integration/poisoned-environment.yml).
    poisoned = {"CELERY_CONFIG_MODULE": "app2.celeryconfig"}
    children = timeline(
        result("a", "app2", answers.answer(9, "app2", 100.0, poisoned)),
        result("b", "app1", answers.answer(9, "app1", 100.5, poisoned)),
    )
    assert story.inheritance_conflicts(children) == ()


def test_a_value_nobody_had_written_yet_is_a_conflict():
    # app2's interpreter was created at 100.005, before app1's write at 100.01, yet claims app1's value.
    early = answers.buggy(9, "app2", 100.005, inherited_from="app1")
    children = timeline(result("a", "app1", answers.buggy(9, "app1", 100.0)), result("b", "app2", early))
    assert "unwritten" in {c.code for c in story.inheritance_conflicts(children)}


def test_mod_wsgis_log_lines_are_read_and_shown_beside_the_interpreters_record():
    log = (
        "[2026-11-30 20:47:02.045828] [wsgi:info] [pid 7:tid 12] mod_wsgi (pid=7): Create interpreter 'app2'.\n"
        "[2026-11-30 20:47:02.046000] [mpm_event:notice] [pid 1:tid 1] AH00489: Apache configured\n"
        "[2026-11-30 20:47:01.000001] [wsgi:info] [pid 7:tid 7] mod_wsgi (pid=7): Attach interpreter ''.\n"
    )
    lines = history.interpreter_lines(log)
    assert [(line.pid, line.group, line.action) for line in lines] == [(7, "app2", "create"), (7, "", "attach")]
    assert lines[0].at == 1796071622.045828
    (child,) = timeline(result("a", "app2", answers.buggy(7, "app2", lines[0].at - 0.0005)), interpreter_log=lines)
    assert child.interpreters[0].logged_at == lines[0].at


def test_failures_are_attributed_to_host_interpreter_and_config():
    response = answers.buggy(8, "app1", 1.0, inherited_from="app2")
    results = [
        result(str(i), "app1", response, ok=False, error_kind="login_refused", error="Couldn't log in: 403")
        for i in range(3)
    ]
    (cause,) = checker.failure_causes(results)
    assert cause == checker.FailureCause("app1", 8, APP1_GROUP, "app2.celeryconfig", "login_refused", 3,
                                         "Couldn't log in: 403")  # fmt: skip
    summary = summarize(results)
    assert (summary.totals.foreign_failures, summary.totals.failed) == (3, 3)


FAULT = answers.fault()


def timed(request_id, app, answered_at, ok=True, error_kind=None, sent_at=None, pid=None):
    response = answers.answer(pid, app, 1.0) if pid is not None else None
    if response is not None:
        response = dataclasses.replace(response, application_group=app)
    return result(request_id, app, response, ok=ok, error_kind=error_kind, answered_at=answered_at, sent_at=sent_at)


def test_failures_and_losses_during_a_fault_are_counted_apart_until_the_web_side_recovers():
    results = [
        timed("a", "app1", 50.0),  # consumed, before the fault
        timed("b", "app1", 100.5, ok=False, error_kind="socket_error"),  # the broker went away
        timed("c", "app2", 105.0),  # answered 200 during the fault, never consumed
        timed("d", "app2", 111.5, ok=False, error_kind="socket_error", sent_at=110.2),  # after the step, not back yet
        timed("r", "app1", 112.0, sent_at=111.0),  # the first success sent after the fault ended: recovered
        timed("e", "app1", 130.0, ok=False, error_kind="http_5xx"),  # after the recovery: not the fault's
    ]
    receipts = [receipt("a", "app1"), receipt("r", "app1")]
    totals = summarize(results, receipts, FAULT).totals
    assert (totals.failed, totals.failed_in_fault) == (3, 2)
    assert (totals.lost, totals.lost_in_fault, totals.lost_before_broker) == (1, 1, 1)
    assert checker.accounted(totals)
    # Without the fault's record, the same loss is unexplained.
    assert not checker.accounted(summarize(results, receipts).totals)
    reasons = checker.fault_reasons(totals, FAULT, "librabbitmq")
    assert [(r.code, r.count) for r in reasons] == [("failed_in_fault", 2), ("lost_before_broker", 1)]


def test_each_interpreter_recovers_on_its_own():
    results = [
        timed("x", "app1", 111.0, sent_at=110.5, pid=7),  # child 7 works again at 111
        timed("y", "app2", 112.0, ok=False, error_kind="socket_error", sent_at=111.5, pid=8),  # child 8 not yet
        timed("z", "app2", 113.0, sent_at=112.5, pid=8),  # child 8 works again at 113
        timed("w", "app1", 112.5, ok=False, error_kind="socket_error", sent_at=112.4, pid=7),  # 7 had recovered
    ]
    span = checker.fault_span(FAULT, results)
    assert [checker.in_fault(row, span) for row in results] == [True, True, True, False]


def test_a_fixed_run_through_a_fault_is_fixed_and_counts_what_the_fault_cost():
    results = [
        timed("a", "app1", 50.0),
        timed("b", "app2", 105.0, ok=False, error_kind="socket_error"),
        timed("r", "app1", 112.0, sent_at=111.0),
    ]
    receipts = [receipt("a", "app1"), receipt("r", "app1")]
    summary = summarize(results, receipts, FAULT)
    assert checker.verdict("FIXED", summary, True).kind == "FIXED" and summary.totals.failed_in_fault == 1
    # The same failure after the web side recovered is not excused.
    late = [*results[:1], results[2], timed("b", "app2", 140.0, ok=False, error_kind="socket_error")]
    assert checker.verdict("FIXED", summarize(late, receipts, FAULT), True).kind == "NOT_FIXED"


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
    events = [FirehoseEvent("app1", 10.0), FirehoseEvent("app2", 10.0)]  # the first start: before the fault
    span = checker.fault_span(FAULT, results)
    assert checker.firehose_resumed(events, span) is None  # it never stopped: nothing is left out
    assert not checker.broker_witness(results, receipts, traces, span).agrees
    events += [FirehoseEvent("app1", 112.5), FirehoseEvent("app2", 113.0)]
    resumed = checker.firehose_resumed(events, span)
    witness = checker.broker_witness(results, receipts, traces, span, resumed)
    assert resumed == 113.0 and witness.firehose_resumed_after == 13.0
    # r is the web side's recovery (within the fault); s was sent before 113, t after.
    assert (witness.agrees, witness.not_judged) == (True, 1)
    # A task sent after the firehose was back and missing from its record still disagrees.
    assert not checker.broker_witness(results, receipts, traces[:1], span, resumed).agrees


def test_a_task_redelivered_after_the_fault_is_not_a_mystery():
    results = [timed("a", "app1", 50.0), timed("b", "app2", 99.5)]
    twice = [receipt("a", "app1"), receipt("b", "app2", received_at=99.6), receipt("b", "app2", received_at=112.0)]
    summary = summarize(results, twice, FAULT)
    assert summary.totals.redelivered_in_fault == 1 and checker.accounted(summary.totals)
    assert checker.verdict("FIXED", summary, True).kind == "FIXED"
    # Without a fault, a task received twice is unexplained.
    assert checker.verdict("FIXED", summarize(results, twice), True).missing == ("received_twice",)


def reasons_of(*responses):
    """The reasons of a run whose interpreters gave these answers (one request each)."""
    results = [result(str(i), response.served_by, response) for i, response in enumerate(responses)]
    return [(r.code, r.variable, r.interpreters, r.of, r.environ) for r in story.reasons(timeline(*results))]


def test_the_reasons_of_the_buggy_run_name_both_variables():
    assert reasons_of(answers.buggy(1, "app2", 10.0), answers.buggy(1, "app1", 10.5, inherited_from="app2")) == [
        ("kept", "CELERY_CONFIG_MODULE", 1, 2, "own"),
        ("overwrote", "DJANGO_SETTINGS_MODULE", 1, 2, "own"),
    ]


def test_the_reasons_of_the_fixed_run_say_what_still_passes_through_the_environment():
    found = reasons_of(answers.fixed(1, "app2", 10.0), answers.fixed(1, "app1", 10.5, inherited_from="app2"))
    assert found == [("overwrote", "DJANGO_SETTINGS_MODULE", 1, 2, "own"), ("named_config", None, 2, 0, None)]


def test_the_environment_is_said_as_the_run_measured_it():
    """Where the interpreters of a child share one dict (Python 2.7, 3.x up to 3.8) the reason
    says so; where the run could not tell (one interpreter per child), it says nothing."""

    def overwrote(shared_id=None):
        inherited = {"CELERY_CONFIG_MODULE": "app2.celeryconfig"}
        writes = (("CELERY_CONFIG_MODULE", "app1.celeryconfig", 0.01),)
        return answers.answer(1, "app1", 10.5, inherited, writes, environ_dict_id=shared_id)

    shared = reasons_of(answers.answer(1, "app2", 10.0, environ_dict_id=77), overwrote(77))
    assert shared == [("overwrote", "CELERY_CONFIG_MODULE", 1, 2, "shared")]
    assert reasons_of(overwrote()) == [("overwrote", "CELERY_CONFIG_MODULE", 1, 1, None)]


def test_django_settings_kept_from_another_app_is_a_reason():
    kept = answers.answer(1, "app1", 10.5, {"DJANGO_SETTINGS_MODULE": "app2.settings",
                                            "CELERY_CONFIG_MODULE": "app2.celeryconfig"},
                          settings="app2.settings", config="app2.celeryconfig")  # fmt: skip
    assert ("kept", "DJANGO_SETTINGS_MODULE", 1, 2, "own") in reasons_of(answers.buggy(1, "app2", 10.0), kept)


def test_an_app_that_only_some_threads_used():
    own = answers.answer(1, "app2", 10.0, loader="celery.loaders.app", celery_app="app2", config_from_environment=False)
    fallback = dataclasses.replace(
        answers.answer(1, "app2", 10.0),
        broker=dataclasses.replace(own.broker, celery_app="default", config_module=None),
    )
    threaded = [dataclasses.replace(own, thread=1), dataclasses.replace(fallback, thread=2)]
    results = [result(str(i), "app2", threaded[0]) for i in range(3)] + [result("x", "app2", threaded[1])]
    found = story.reasons(timeline(*results))
    assert story.Reason("threads_fell_back", app="app2", pid=1, threads=1, of=2) in found
    assert story.Reason("no_config_module", count=1, interpreters=1) in found


def test_a_run_where_nothing_was_inherited_and_no_run():
    assert reasons_of(answers.buggy(1, "app1", 10.0)) == [("nothing_inherited", None, 1, 0, None)]
    assert story.reasons(()) == []


def test_process_cost_counts_processes_memory_and_daemon_processes():
    processes = [
        Process(1, "apache2 -DFOREGROUND", 10240),
        Process(7, "(wsgi:app1)     -DFOREGROUND", 40960),
        Process(8, "(wsgi:app2)     -DFOREGROUND", 40960),
    ]
    assert xray.process_cost(processes) == ProcessCost(processes=3, rss_mib=90, daemon_processes=2)


def twelve_factor_results():
    """Four requests of SCENARIO=twelve-factor: app1's own; app2's in app1's database signed with
    app1's key; app2's refused by PostgreSQL; app1's answered 200 with no row anywhere."""
    app1, app2 = answers.answer(1, "app1", 1.0), answers.answer(1, "app2", 1.0)
    return [
        result("r-0", "app1", app1),
        result("r-1", "app2", app2),
        result("r-2", "app2", ok=False, error_kind="database_refused", error="pg_hba"),
        result("r-3", "app1", app1),
    ]


def test_rows_and_signatures_are_counted_from_postgresql_and_the_keys():
    rows = {"r-0": ["app1"], "r-1": ["app1"], "r-3": []}
    signers = {"r-0": "app1", "r-1": "app1", "r-3": "neither"}
    summary = summarize(twelve_factor_results(), [receipt("r-0", "app1"), receipt("r-1", "app1")], rows=rows,
                        signers=signers)  # fmt: skip
    app1, app2 = summary.per_app["app1"], summary.per_app["app2"]
    assert summary.database is True
    assert (app1.rows_own, app1.rows_none, app1.rows_lost) == (1, 1, 1)
    assert (app2.rows_other, app2.rows_refused) == (1, 1)
    assert (app1.signed_own, app1.signed_neither, app2.signed_other, app2.signed_none) == (1, 1, 1, 1)
    # A row PostgreSQL does not hold and an answer signed with neither key are not evidence: unknown.
    verdict = checker.verdict("REPRODUCED", summary, True)
    assert (verdict.kind, verdict.missing) == ("INCONCLUSIVE", ("lost_outside_fault", "rows_lost", "signed_neither"))


def test_a_row_in_the_other_apps_database_is_a_leak_even_with_no_task_misrouted():
    summary = summarize(twelve_factor_results()[:2], [receipt("r-0", "app1"), receipt("r-1", "app2")],
                        rows={"r-0": ["app1"], "r-1": ["app1"]}, signers={"r-0": "app1", "r-1": "app2"})  # fmt: skip
    assert summary.totals.misrouted == 0
    assert checker.verdict("REPRODUCED", summary, True).evidence == ("foreign_rows_or_keys",)
    assert checker.verdict("FIXED", summary, True).kind == "NOT_FIXED"


def test_row_and_signature_outcomes():
    app2 = result("x", "app2")
    assert [checker.row_outcome(app2, where) for where in (["app2"], ["app1"], ["app1", "app2"], [])] == [
        "own", "other", "both", "none",
    ]  # fmt: skip
    assert checker.row_outcome(result("x", "app2", ok=False, error_kind="database_refused"), []) == "refused"
    assert [checker.signature_outcome(app2, who) for who in ("app2", "app1", "neither", None)] == [
        "own", "other", "neither", "none",
    ]  # fmt: skip


def clocked(request_id, app, c_offset, django_offset):
    clock = Clock(localtime_offset=c_offset, django_offset=django_offset)
    return result(request_id, app, dataclasses.replace(answers.answer(1, app, 1.0), clock=clock))


def test_answers_whose_c_library_clock_is_in_another_apps_zone_are_counted_and_are_the_leak():
    results = [
        clocked("t-0", "app1", "+0900", "+0900"),
        clocked("t-1", "app1", "-0800", "+0900"),
        clocked("t-2", "app2", "-0800", "-0800"),
    ]
    summary = summarize(results, [receipt(r.request_id, r.app) for r in results])
    assert summary.clock and summary.per_app["app1"].wrong_clock == 1 and summary.totals.clocks == 3
    assert checker.verdict("FIXED", summary, True).kind == "NOT_FIXED"
    assert checker.verdict("REPRODUCED", summary, True).evidence == ("wrong_clock",)
