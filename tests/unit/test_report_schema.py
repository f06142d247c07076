"""The report's one declaration (loadtest/report.schema.json): a document the report builds
from a run's history and the checker's answer matches it, so does every stored run, and a key
nobody declared is refused."""

import json
from pathlib import Path

import jsonschema
import pytest

from loadtest import checker, history, report
from tests.unit import answers

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((ROOT / "loadtest" / "report.schema.json").read_text())
STORED_RUNS = sorted((ROOT / "docs" / "runs").glob("*.json"))
STORED_RUNS = [path for path in STORED_RUNS if path.name != "xray.json"]  # /xray/'s rows, not a run


def run():
    return {
        "code": "buggy", "process_model": "embedded", "scenario": "default", "stack": "trixie",
        "platform": "linux/amd64", "transport": "librabbitmq", "mod_wsgi": "stack", "gil": "shared", "fault": "none",
        "first": "random", "requests": 3, "concurrency": 2, "ramp_up": 0.0, "fix": "", "url": "http://127.0.0.1:8080",
        "seed": 1, "run_id": "0123456789ab", "expected": "REPRODUCED", "first_hosts": ["app2.example.com"],
        "started_at": "2026-12-02T07:00:00+00:00", "load_began_at": 1796197615.0, "load_seconds": 1.5,
    }  # fmt: skip


def receipt(index, vhost):
    return {
        "request_id": f"0123456789ab-{index}", "run_id": "0123456789ab", "worker_app": vhost, "worker_vhost": vhost,
        "worker_user": vhost,
    }  # fmt: skip


def recorded():
    """Three requests of a poisoned child: app2 first, app1 inherits app2's module."""
    app2, app1 = answers.buggy(7, "app2", 1796197615.1), answers.buggy(7, "app1", 1796197615.4, inherited_from="app2")
    results = [
        {**answers.result(f"0123456789ab-{index}", app, answer), "host": f"{app}.example.com", "index": index,
         "sent_at": 1796197615.5, "answered_at": 1796197615.6}
        for index, (app, answer) in enumerate((("app2", app2), ("app1", app1), ("app1", app1)))
    ]  # fmt: skip
    receipts = [receipt(0, "app2"), receipt(1, "app2"), receipt(2, "app2")]
    traces = [
        {"request_id": r["request_id"], "run_id": "0123456789ab", "vhost": "app2", "user": "app2",
         "routed_queues": ["celery"]}
        for r in receipts
    ]  # fmt: skip
    return history.History(
        first_requests=[], results=results, receipts=receipts, traces=traces, firehose_events=[], fault=None,
        interpreter_log=[], detector=[], refused_logins={}, versions={"python": "3.13.5"},
        apache_processes=[{"command": "apache2 -DFOREGROUND", "pid": 1, "rss_kib": 7748}],
        apache_cost={"processes": 1, "rss_mib": 8, "daemon_processes": 0},
        witnesses_complete_after={"receipts": 0.01, "broker": 0.01},
    )  # fmt: skip


def built():
    return json.loads(json.dumps(report.document(run(), recorded(), checker.check(run(), recorded()))))


def test_a_document_the_report_builds_matches_the_schema():
    document = built()
    jsonschema.validate(document, SCHEMA)
    assert document["verdict"]["kind"] == "REPRODUCED"
    assert document["summary"]["totals"]["misrouted"] == 2


def test_a_key_nobody_declared_is_refused():
    with pytest.raises(jsonschema.ValidationError, match="surprise"):
        jsonschema.validate({**built(), "surprise": 1}, SCHEMA)


@pytest.mark.parametrize("path", STORED_RUNS, ids=lambda path: path.name)
def test_every_stored_run_matches_the_schema(path):
    jsonschema.validate(json.loads(path.read_text()), SCHEMA)


def test_there_are_stored_runs_to_check():
    assert len(STORED_RUNS) >= 5
