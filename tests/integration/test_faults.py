"""Faults injected by the nemesis in the middle of a run: every request still ends in exactly
one bucket, with its cause, and the leak verdict stays about the leak."""

from loadtest import checker

BUCKETS = ("consumed_own", "misrouted", "failed", "lost")


def assert_every_request_in_one_bucket(document):
    totals = document["summary"]["totals"]
    assert sum(totals[bucket] for bucket in BUCKETS) == totals["sent"] == document["requests"]
    assert totals["lost"] == totals["lost_in_fault"], document["verdict"]
    assert totals["duplicate_receipts"] == totals["redelivered_in_fault"] and totals["unexpected_receipts"] == 0
    assert checker.accounted(totals)
    fault = document["fault"]
    assert fault["began_at"] < fault["ended_at"] and all(step["exit"] == 0 for step in fault["steps"])


def test_fixed_through_a_broker_restart_is_fixed_and_accounts_for_every_request(lab):
    lab.fresh_apache("fixed")
    # Long enough that the broker goes away while requests still arrive.
    document = lab.load("fixed", requests=2500, fault="broker-restart", fault_at=0.2, label="broker-restart")
    assert_every_request_in_one_bucket(document)
    totals = document["summary"]["totals"]
    assert document["broker"]["restarted"] and document["broker"]["agrees"], document["broker"]
    assert totals["misrouted"] == 0 and totals["failed"] == totals["failed_in_fault"] > 0
    assert document["verdict"]["kind"] == "FIXED", document["verdict"]
    assert "during the fault" in document["verdict"]["line"]


def test_a_worker_killed_mid_run_loses_nothing_and_the_leak_still_shows(lab):
    # One child and app2's Host first: the leak is certain, so the test is about the fault.
    lab.fresh_apache("buggy", processes=1)
    document = lab.load("buggy", requests=300, fault="worker-kill", first="app2", label="worker-kill")
    assert_every_request_in_one_bucket(document)
    assert document["summary"]["totals"]["lost"] == 0
    assert document["verdict"]["kind"] == "REPRODUCED", document["verdict"]


def test_apache_recycling_its_children_rolls_the_leak_again(lab):
    lab.fresh_apache("buggy", processes=1)
    # Early and long enough that requests still arrive once the new children are up.
    document = lab.load(
        "buggy", requests=2500, fault="apache-recycle", fault_at=0.2, first="app2", label="apache-recycle"
    )
    assert_every_request_in_one_bucket(document)
    assert document["verdict"]["kind"] == "REPRODUCED", document["verdict"]
    # The timeline shows children created after the fault began: new interpreters mid-run.
    began = document["fault"]["began_at"]
    late = [e for child in document["timeline"] for e in child["interpreters"] if (e["created_at"] or 0) > began]
    assert late, document["timeline"]
