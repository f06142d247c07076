"""Faults injected by the nemesis during a run: every request still ends in exactly one bucket,
with its cause; the fault always meets load before, during and after it; the leak verdict
stays about the leak; and py-amqp with publisher confirms turns every would-be loss into a
failure the web side sees."""

from loadtest import checker
from tests.integration.harness import suite_spec

BUCKETS = ("consumed_own", "misrouted", "failed", "lost")


def assert_every_request_in_one_bucket(document):
    totals = document.totals
    assert sum(getattr(totals, bucket) for bucket in BUCKETS) == totals.sent == document.spec.requests
    assert totals.lost == totals.lost_in_fault, document.verdict
    assert totals.duplicate_receipts == totals.redelivered_in_fault and totals.unexpected_receipts == 0
    assert checker.accounted(totals)
    fault = document.history.fault
    assert fault.began_at < fault.ended_at and all(step.exit == 0 for step in fault.steps)
    assert all(step.began_at <= step.ended_at for step in fault.steps)


def load_around(document):
    """How many requests were sent before the fault began and after its last step ended."""
    fault = document.history.fault
    before = sum(1 for r in document.history.results if r.sent_at < fault.began_at)
    after = sum(1 for r in document.history.results if r.sent_at >= fault.ended_at)
    return before, after


def fault_run(runs, main_spec, code, fault):
    """A run of `code` with the nemesis's `fault` at half of 200 requests."""
    return runs.get(suite_spec(main_spec, command="run", code=code, fault=fault, requests=200), label=fault)


def test_fixed_through_a_broker_restart_is_fixed_and_accounts_for_every_request(runs, main_spec):
    document = fault_run(runs, main_spec, "fixed", "broker-restart")
    assert_every_request_in_one_bucket(document)
    before, after = load_around(document)
    assert before > 0 and after > 0, (before, after)
    totals = document.totals
    assert document.checked.broker.agrees, document.checked.broker
    assert totals.misrouted == 0 and totals.failed == totals.failed_in_fault > 0
    assert document.verdict.kind == "FIXED", document.verdict
    # Why the fixed code still failed requests: the fault, as the referee's reason says.
    assert [(r.count, r.fault) for r in document.checked.reasons if r.code == "failed_in_fault"] == [
        (totals.failed_in_fault, "broker-restart")
    ]


def test_with_publisher_confirms_a_broker_restart_loses_nothing(runs):
    # The workshop's `make fixed FAULT=broker-restart TRANSPORT=pyamqp REQUESTS=1000` (exercise
    # "transport"): py-amqp with confirm_publish on the web side, the suite's requests around it.
    document = runs.exercise("transport")
    assert_every_request_in_one_bucket(document)
    totals = document.totals
    assert document.spec.transport == "pyamqp" and document.history.fault.fault == "broker-restart"
    assert totals.lost == 0, document.verdict
    assert totals.failed == totals.failed_in_fault > 0
    assert document.verdict.kind == "FIXED", document.verdict


def test_the_leak_does_not_depend_on_the_transport(runs, main_spec):
    document = runs.get(suite_spec(main_spec, command="reproduce", transport="pyamqp"))
    assert document.verdict.kind == "REPRODUCED", document.verdict
    transports = {r.answer.broker.transport for r in document.history.results if r.ok}
    assert transports == {"kombu.transport.pyamqp"}


def test_a_worker_killed_mid_run_loses_nothing_and_the_leak_still_shows(runs, main_spec):
    document = fault_run(runs, main_spec, "buggy", "worker-kill")
    assert_every_request_in_one_bucket(document)
    assert document.totals.lost == 0
    assert document.verdict.kind == "REPRODUCED", document.verdict


def test_apache_recycling_its_children_serves_load_on_the_new_ones(runs, main_spec):
    document = fault_run(runs, main_spec, "buggy", "apache-recycle")
    assert_every_request_in_one_bucket(document)
    assert document.verdict.kind == "REPRODUCED", document.verdict
    # The timeline shows children created after the fault began, and each served load.
    began = document.history.fault.began_at
    new_children = [
        child for child in document.checked.timeline if all(e.created_at > began for e in child.interpreters)
    ]
    assert new_children, document.checked.timeline
    assert all(sum(e.published_to.values()) > 0 for child in new_children for e in child.interpreters)
