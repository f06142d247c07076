"""The referee's pure logic: error kinds, accounting and verdicts."""

import pytest

from loadtest import report


def result(request_id, app, ok=True, error_kind=None):
    return {"request_id": request_id, "app": app, "ok": ok, "error_kind": error_kind}


def receipt(request_id, vhost):
    return {"request_id": request_id, "worker_vhost": vhost}


@pytest.mark.parametrize(
    ("status", "text", "exception", "kind"),
    [
        (502, "Couldn't log in: server connection error 403, message: ACCESS_REFUSED - Login was refused", None,
         "login_refused"),
        (502, "Couldn't log in: server connection error 530, message: NOT_ALLOWED - vhost app2 not found", None,
         "vhost_refused"),
        (502, "Error opening socket: a socket error occurred", None, "socket_error"),
        (500, "<h1>Server Error (500)</h1>", None, "http_5xx"),
        (404, "Not Found", None, "http_4xx"),
        (None, "", "timeout", "timeout"),
        (None, "", "connection", "connection_error"),
    ],
)
def test_classify_error(status, text, exception, kind):
    assert report.classify_error(status, text, exception) == kind
    assert kind in report.ERROR_KINDS


def test_summary_counts_own_misrouted_failed_and_lost():
    results = [
        result("a", "app1"),
        result("b", "app1"),
        result("c", "app2"),
        result("d", "app2", ok=False, error_kind="login_refused"),
        result("e", "app1"),  # published, but no worker ever got it
    ]
    receipts = [receipt("a", "app1"), receipt("b", "app2"), receipt("c", "app2")]
    summary = report.summarize(results, receipts)
    app1, app2, totals = summary["per_app"]["app1"], summary["per_app"]["app2"], summary["totals"]
    assert (app1["sent"], app1["consumed_own"], app1["misrouted"], app1["lost"]) == (3, 1, 1, 1)
    assert app1["misrouted_to"] == {"app2": 1}
    assert (app2["sent"], app2["consumed_own"], app2["failed"]) == (2, 1, 1)
    assert app2["errors"] == {"login_refused": 1}
    assert (totals["sent"], totals["misrouted"], totals["failed"], totals["lost"]) == (5, 1, 1, 1)
    assert not report.accounted(totals)


def test_a_receipt_beats_the_web_sides_error():
    # The client timed out, but a worker did receive the task: it counts as consumed.
    results = [result("a", "app2", ok=False, error_kind="timeout")]
    summary = report.summarize(results, [receipt("a", "app1")])
    assert summary["totals"]["misrouted"] == 1
    assert summary["totals"]["failed"] == 0
    assert report.accounted(summary["totals"])


def test_unexpected_and_duplicate_receipts_are_counted():
    summary = report.summarize([result("a", "app1")], [receipt("a", "app1"), receipt("a", "app1"), receipt("z", "app2")])
    assert summary["totals"]["duplicate_receipts"] == 1
    assert summary["totals"]["unexpected_receipts"] == 1


def totals(**counts):
    base = {"sent": 10, "consumed_own": 10, "misrouted": 0, "failed": 0, "lost": 0}
    base.update(counts)
    return base


def test_verdicts():
    assert report.verdict("buggy", totals(consumed_own=7, misrouted=3), True) == (
        True, "REPRODUCED: 3 of 10 tasks misrouted, 0 requests failed, 0 lost")
    ok, line = report.verdict("buggy", totals(), True)
    assert not ok and line.startswith("NOT REPRODUCED")
    assert report.verdict("fixed", totals(), True)[0]
    assert report.verdict("fixed", totals(), True)[1].startswith("FIXED")
    ok, line = report.verdict("fixed", totals(consumed_own=9, failed=1), True)
    assert not ok and line.startswith("NOT FIXED")
    ok, line = report.verdict("fixed", totals(consumed_own=9, misrouted=1), True)
    assert not ok and line.startswith("NOT FIXED")


def test_no_verdict_when_the_counts_do_not_add_up():
    ok, line = report.verdict("buggy", totals(consumed_own=6, misrouted=3, lost=1), True)
    assert not ok and line.startswith("INCONCLUSIVE")
    ok, line = report.verdict("fixed", totals(), broker_agrees=False)
    assert not ok and line.startswith("INCONCLUSIVE")


def test_receipts_by_vhost():
    assert report.receipts_by_vhost([receipt("a", "app1"), receipt("b", "app1")]) == {"app1": 2, "app2": 0}


def test_interpreters_show_who_published_where():
    results = [
        {"request_id": "a", "app": "app1", "ok": True, "response": {
            "pid": 7, "application_group": "%{ENV:WSGI_APP_GROUP}", "served_by": "app1",
            "publisher_user": "app2", "publisher_vhost": "app2"}},
        {"request_id": "b", "app": "app2", "ok": True, "response": {
            "pid": 7, "application_group": "app2", "served_by": "app2",
            "publisher_user": "app2", "publisher_vhost": "app2"}},
    ]
    rows = report.interpreters(results)
    assert [(r["pid"], r["application_group"], r["published_to"]) for r in rows] == [
        (7, "%{ENV:WSGI_APP_GROUP}", {"app2@app2": 1}),
        (7, "app2", {"app2@app2": 1}),
    ]
    text = report.format_interpreters(rows)
    assert "another app's config" in text.splitlines()[0]
    assert "another app's config" not in text.splitlines()[1]


def test_table_has_a_row_per_app_and_a_total():
    summary = report.summarize([result("a", "app1")], [receipt("a", "app2")])
    lines = report.format_table(summary).splitlines()
    assert [line.split()[0] for line in lines[2:]] == ["app1", "app2", "total"]
