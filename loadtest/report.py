"""Pure logic of the load test: error kinds, accounting, verdict, summary table.

No network, no Docker: everything here is unit-tested directly.
"""

from collections import Counter

# Which Django project serves which Host (apache/lab.conf: app2.example.com gets the
# application group 'app2'; every other *.example.com is app1).
HOST_APPS = {"app1.example.com": "app1", "app2.example.com": "app2"}
APPS = ("app1", "app2")

ERROR_KINDS = (
    "login_refused",  # librabbitmq: 403 ACCESS_REFUSED, wrong user or password
    "vhost_refused",  # librabbitmq: 530 NOT_ALLOWED, vhost not permitted for that user
    "socket_error",  # librabbitmq: could not open a socket to the broker
    "http_5xx",
    "http_4xx",
    "timeout",
    "connection_error",
)


def classify_error(status=None, text="", exception=None):
    """One error kind for a failed request, from what the client saw."""
    if exception == "timeout":
        return "timeout"
    if exception == "connection":
        return "connection_error"
    text = text or ""
    if "ACCESS_REFUSED" in text or "Couldn't log in" in text and "403" in text:
        return "login_refused"
    if "NOT_ALLOWED" in text or "530" in text and "vhost" in text:
        return "vhost_refused"
    if "socket" in text.lower():
        return "socket_error"
    if status is not None and status >= 500:
        return "http_5xx"
    return "http_4xx"


def summarize(results, receipts):
    """Account for every request.

    results: one dict per request sent: request_id, app (by Host), ok (bool), error_kind,
        error (text), response (the JSON the web side answered, may be empty).
    receipts: the workers' receipts of this run: request_id, worker_vhost, ...

    A request is *consumed* when some worker has a receipt for it (whatever the web side
    said), *misrouted* when that worker's vhost is not its own app's, *failed* when no worker
    received it and the client recorded an error, and *lost* otherwise.
    """
    received = {}
    duplicates = 0
    for receipt in receipts:
        if receipt["request_id"] in received:
            duplicates += 1
        received[receipt["request_id"]] = receipt

    per_app = {app: _empty_row() for app in APPS}
    for result in results:
        row = per_app[result["app"]]
        row["sent"] += 1
        receipt = received.get(result["request_id"])
        if receipt is not None:
            if receipt["worker_vhost"] == result["app"]:
                row["consumed_own"] += 1
            else:
                row["misrouted"] += 1
                row["misrouted_to"][receipt["worker_vhost"]] += 1
        elif result.get("error_kind"):
            row["failed"] += 1
            row["errors"][result["error_kind"]] += 1
        else:
            row["lost"] += 1
    for row in per_app.values():
        row["errors"] = dict(row["errors"])
        row["misrouted_to"] = dict(row["misrouted_to"])

    totals = _empty_row()
    for row in per_app.values():
        for key in ("sent", "consumed_own", "misrouted", "failed", "lost"):
            totals[key] += row[key]
    totals["errors"] = dict(sum((Counter(r["errors"]) for r in per_app.values()), Counter()))
    totals["misrouted_to"] = {}
    sent_ids = {r["request_id"] for r in results}
    totals["unexpected_receipts"] = sum(1 for rid in received if rid not in sent_ids)
    totals["duplicate_receipts"] = duplicates
    return {"per_app": per_app, "totals": totals}


def _empty_row():
    return {
        "sent": 0,
        "consumed_own": 0,
        "misrouted": 0,
        "failed": 0,
        "lost": 0,
        "errors": Counter(),
        "misrouted_to": Counter(),
    }


def receipts_by_vhost(receipts):
    counts = Counter(r["worker_vhost"] for r in receipts)
    return {app: counts.get(app, 0) for app in APPS}


def accounted(totals):
    """sent == consumed (own + misrouted) + failed with a recorded error, nothing lost."""
    return (
        totals["lost"] == 0
        and totals["sent"] == totals["consumed_own"] + totals["misrouted"] + totals["failed"]
    )


def verdict(mode, totals, broker_agrees):
    """(ok, line). Buggy mode succeeds when the bug showed; fixed mode when it did not."""
    counts = (
        f"{totals['misrouted']} of {totals['sent']} tasks misrouted, "
        f"{totals['failed']} requests failed, {totals['lost']} lost"
    )
    trusted = accounted(totals) and broker_agrees
    if not trusted:
        return False, f"INCONCLUSIVE: {counts}; the workers and the broker do not account for every request"
    if mode == "buggy":
        if totals["misrouted"] > 0:
            return True, f"REPRODUCED: {counts}"
        return False, f"NOT REPRODUCED: {counts} (try more --requests or --concurrency)"
    if totals["misrouted"] == 0 and totals["failed"] == 0:
        return True, f"FIXED: {counts}"
    return False, f"NOT FIXED: {counts}"


def interpreters(results):
    """Per Apache child and application group: which broker the Celery app published to."""
    table = {}
    for result in results:
        response = result.get("response") or {}
        if "pid" not in response:
            continue
        key = (response["pid"], response.get("application_group"))
        entry = table.setdefault(
            key,
            {
                "pid": response["pid"],
                "application_group": response.get("application_group"),
                "served_by": response.get("served_by"),
                "published_to": Counter(),
                "errors": Counter(),
            },
        )
        if result["ok"]:
            entry["published_to"][f"{response.get('publisher_user')}@{response.get('publisher_vhost')}"] += 1
        else:
            entry["errors"][result.get("error_kind")] += 1
    rows = []
    for entry in sorted(table.values(), key=lambda e: (e["pid"], str(e["application_group"]))):
        entry["published_to"] = dict(entry["published_to"])
        entry["errors"] = dict(entry["errors"])
        rows.append(entry)
    return rows


def format_table(summary):
    header = f"{'app':<6}{'sent':>7}{'own':>7}{'misrouted':>11}{'failed':>8}{'lost':>6}  errors"
    lines = [header, "-" * len(header)]
    for app, row in [*summary["per_app"].items(), ("total", summary["totals"])]:
        errors = ", ".join(f"{kind}={n}" for kind, n in sorted(row["errors"].items())) or "-"
        lines.append(
            f"{app:<6}{row['sent']:>7}{row['consumed_own']:>7}{row['misrouted']:>11}"
            f"{row['failed']:>8}{row['lost']:>6}  {errors}"
        )
    return "\n".join(lines)


def format_interpreters(rows):
    lines = []
    for row in rows:
        own = row["served_by"]
        published = ", ".join(f"{where} x{n}" for where, n in sorted(row["published_to"].items()))
        errors = ", ".join(f"{kind} x{n}" for kind, n in sorted(row["errors"].items()))
        leaked = any(not where.endswith(f"@{own}") for where in row["published_to"])
        mark = "  <- another app's config" if leaked or row["errors"] else ""
        detail = "; ".join(part for part in (published, errors) if part)
        lines.append(f"  pid {row['pid']:<6} group {row['application_group']!r:<26} {own}: {detail}{mark}")
    return "\n".join(lines)
