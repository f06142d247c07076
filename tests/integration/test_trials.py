"""Fresh-Apache trials on the suite's own stack: the bug shows, the fix holds, every request is
accounted for, and the broker's record agrees with the workers task by task."""

import dataclasses

from loadtest import checker


def assert_every_request_accounted_for(document):
    totals = document.totals
    assert totals.lost == 0, document.verdict
    assert checker.accounted(totals), document.verdict
    assert totals.unexpected_receipts == 0 and totals.duplicate_receipts == 0
    broker = document.checked.broker
    # The broker's own per-vhost publish counters agree with what the workers received.
    assert broker.agrees, broker
    assert sum(broker.publishes_by_vhost.values()) == totals.consumed_own + totals.misrouted > 0


def poisoned(document):
    return {(e.pid, e.application_group) for e in document.interpreters if e.poisoned}


def flagged_by_the_detector(document):
    """The interpreters the detector (envleak, wrapped around every app) flagged in
    Apache's log: (pid, group)."""
    return {(finding.pid, finding.group) for finding in document.history.detector}


def assert_buggy_trial(document):
    assert_every_request_accounted_for(document)
    # The detector flags exactly the interpreters the referee found poisoned.
    assert flagged_by_the_detector(document) == poisoned(document) != set(), document.history.detector
    assert document.verdict.kind == "REPRODUCED", document.verdict
    assert document.totals.misrouted >= 1
    # The misrouted tasks went where the poisoned interpreter's config pointed: the workers
    # of the *other* vhost received them.
    for app, row in document.checked.summary.per_app.items():
        assert set(row.misrouted_to) <= {"app1", "app2"} - {app}


def assert_fixed_trial(document):
    assert_every_request_accounted_for(document)
    assert flagged_by_the_detector(document) == poisoned(document) == set(), document.history.detector
    totals = document.totals
    assert (totals.misrouted, totals.failed) == (0, 0), document.verdict
    assert totals.consumed_own == totals.sent > 0
    assert document.verdict.kind == "FIXED"


def test_buggy_code_misroutes_tasks(runs, main_spec):
    assert_buggy_trial(runs.get(dataclasses.replace(main_spec, command="reproduce", code="buggy"), xray=True))


def test_fixed_code_misroutes_nothing(runs, main_spec):
    assert_fixed_trial(runs.get(dataclasses.replace(main_spec, command="fixed", code="fixed")))
