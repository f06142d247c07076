"""The nemesis's schedule and record, with Compose replaced by a function that answers as a
completed process does (the fault's steps themselves run in the integration suite)."""

import subprocess

from loadtest.nemesis import FAULT_STEPS, Nemesis
from loadtest.records import FaultRecord


def answering(code):
    calls = []

    def compose(*args):
        calls.append(args)
        return subprocess.CompletedProcess(args, code, "", "said on stderr")

    return compose, calls


def ran(fault, requests, code):
    """The nemesis of `fault` through a load of `requests`, every step answering `code`: its
    record, and the Compose calls it made."""
    compose, calls = answering(code)
    nemesis = Nemesis(fault, requests, 0.5, compose)
    for index in range(requests):
        nemesis.gate(index)
    nemesis.join()
    return nemesis.record(), calls


def test_a_fault_is_recorded_as_typed_steps_in_the_order_they_ran():
    record, calls = ran("broker-restart", 100, 0)
    assert isinstance(record, FaultRecord) and record.fault == "broker-restart"
    assert calls == list(FAULT_STEPS["broker-restart"])
    assert [step.command for step in record.steps] == [" ".join(step) for step in FAULT_STEPS["broker-restart"]]
    assert record.began_at <= record.steps[0].began_at <= record.steps[-1].ended_at <= record.ended_at
    assert {step.exit for step in record.steps} == {0}


def test_a_failed_step_ends_the_fault_and_no_fault_records_nothing():
    record, calls = ran("worker-kill", 40, 1)
    assert [(step.exit, step.output) for step in record.steps] == [(1, "said on stderr")]
    assert len(calls) == 1
    assert Nemesis("none", 40, 0.5, answering(0)[0]).record() is None
