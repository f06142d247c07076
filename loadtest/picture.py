"""What a run's page draws, computed from its stored JSON document: pure data, no HTML.

- the children: per Apache child, its interpreters in creation order, what each inherited,
  which config its Celery app used, whether that is another app's (poisoned), and which
  earlier interpreter of the same child the inherited value came from;
- the flows: Host app -> interpreter -> where it published -> which worker consumed it (or
  failed:<error kind>, or lost), classified as the checker does (loadtest/checker.py);
- the failures by cause, and the accounting line.

Only the standard library and loadtest.lab: the page's tests run without the lab.
"""

from collections import Counter

from loadtest import checker
from loadtest.lab import APPS, config_app

CONFIG = "CELERY_CONFIG_MODULE"
OUTCOMES = ("own", "misrouted", "failed", "lost")


def verdict_of(document):
    """The verdict object; an old document's string verdict (and top-level success) is read too."""
    verdict = document.get("verdict")
    if isinstance(verdict, dict):
        return {"kind": verdict.get("kind"), "success": bool(verdict.get("success")), "line": verdict.get("line", "")}
    line = verdict or ""
    return {"kind": line.split(":")[0] or "INCONCLUSIVE", "success": bool(document.get("success")), "line": line}


def run_of(document):
    """What was asked. An old document's `mode` ('buggy', 'fixed') is its code, embedded."""
    run = {
        name: document.get(name)
        for name in ("run_id", "started_at", "code", "process_model", "scenario", "stack", "seed", "requests", "first")
    }
    if run["code"] is None and document.get("mode"):
        run["code"], run["process_model"] = document["mode"], run["process_model"] or "embedded"
    return run


def children(document):
    """Per child (by pid), its interpreters sorted by creation time, each with the earlier
    interpreter of the same child whose own app's config module is the one it inherited."""
    drawn = []
    for child in sorted(document["timeline"], key=lambda c: c["pid"]):
        interpreters = sorted(
            child["interpreters"], key=lambda e: (e.get("created_at") is None, e.get("created_at") or 0)
        )
        known = [e["created_at"] for e in interpreters if e.get("created_at") is not None]
        first = min(known, default=0.0)
        rows = []
        for index, entry in enumerate(interpreters):
            inherited = (entry.get("inherited") or {}).get(CONFIG)
            source = next(
                (
                    i
                    for i, earlier in enumerate(interpreters[:index])
                    if inherited and config_app(inherited) == earlier["host_app"]
                ),
                None,
            )
            created = entry.get("created_at")
            published_to = entry.get("published_to") or {}
            errors = entry.get("errors") or {}
            rows.append(
                {
                    "pid": child["pid"],
                    "group": entry["application_group"],
                    "app": entry["host_app"],
                    "offset": None if created is None else round(created - first, 3),
                    "inherited": inherited,
                    "config_module": entry.get("config_module"),
                    "poisoned": bool(entry.get("foreign_config")),
                    "inherited_from": None
                    if source is None
                    else (child["pid"], interpreters[source]["application_group"]),
                    "inherited_from_index": source,
                    "published_to": dict(published_to),
                    "published": sum(published_to.values()),
                    "errors": dict(errors),
                    "failed": sum(errors.values()),
                }
            )
        drawn.append({"pid": child["pid"], "interpreters": rows})
    return drawn


def flows(document):
    """Counts of (Host app, pid, group, published to, outcome): every request sent exactly once.

    Outcome, as the checker counts: the worker app of its receipt (misrouted when that
    worker's vhost is not the Host's app), else failed:<error kind> when the client recorded
    an error, else lost."""
    receipts = {}
    for receipt in document["receipts"]:
        receipts.setdefault(receipt["request_id"], receipt)
    counts = Counter()
    for result in document["results"]:
        response = result.get("response") or {}
        user, vhost = response.get("publisher_user"), response.get("publisher_vhost")
        published = f"{user}@{vhost}" if user or vhost else "-"
        receipt = receipts.get(result["request_id"])
        if receipt is not None:
            worker = receipt.get("worker_app") or receipt["worker_vhost"]
            outcome, kind = worker, ("own" if receipt["worker_vhost"] == result["app"] else "misrouted")
        elif result.get("error_kind"):
            outcome, kind = f"failed:{result['error_kind']}", "failed"
        else:
            outcome, kind = "lost", "lost"
        counts[(result["app"], response.get("pid"), response.get("application_group"), published, outcome, kind)] += 1
    rows = [
        {
            "host_app": app,
            "pid": pid,
            "group": group,
            "published": published,
            "consumed_by": outcome,
            "outcome": kind,
            "misrouted": kind == "misrouted",
            "count": count,
            "key": f"{app}|{pid}|{group}|{published}|{outcome}",
        }
        for (app, pid, group, published, outcome, kind), count in counts.items()
    ]
    # Grouped by Host app (in the lab's order), then the largest flows first.
    order = {app: i for i, app in enumerate(APPS)}
    rows.sort(key=lambda r: (order.get(r["host_app"], len(order)), r["host_app"], -r["count"], r["key"]))
    return rows


def failures(document):
    """Failed requests by cause (checker.failure_causes), with a key for the page's hooks."""
    return [
        {
            **cause,
            "key": "|".join(
                str(cause.get(name)) for name in ("app", "pid", "application_group", "config_module", "error_kind")
            ),
        }
        for cause in document.get("failure_causes") or []
    ]


def accounting(document, drawn_flows=None):
    """sent = consumed own + misrouted + failed + lost (the checker's totals), the broker's
    publishes vs the workers' receipts by vhost, and whether the drawn flows agree."""
    totals = document["summary"]["totals"]
    broker = document.get("broker") or {}
    drawn = Counter()
    for flow in flows(document) if drawn_flows is None else drawn_flows:
        drawn[flow["outcome"]] += flow["count"]
    parts = {"own": "consumed_own", "misrouted": "misrouted", "failed": "failed", "lost": "lost"}
    publishes, receipts = broker.get("publishes_by_vhost") or {}, broker.get("receipts_by_vhost") or {}
    return {
        "sent": totals["sent"],
        "consumed_own": totals["consumed_own"],
        "misrouted": totals["misrouted"],
        "failed": totals["failed"],
        "lost": totals["lost"],
        "adds_up": totals["sent"] == sum(totals[name] for name in parts.values()),
        "flows_agree": sum(drawn.values()) == totals["sent"]
        and all(drawn[outcome] == totals[name] for outcome, name in parts.items()),
        "vhosts": [
            {"vhost": vhost, "publishes": publishes.get(vhost), "receipts": receipts.get(vhost)}
            for vhost in sorted(set(publishes) | set(receipts))
        ],
        "broker_agrees": broker.get("agrees"),
        "broker_restarted": broker.get("restarted"),
    }


def picture(document):
    """Everything the page draws, from the run's JSON document."""
    drawn_flows = flows(document)
    return {
        "verdict": verdict_of(document),
        "run": run_of(document),
        "fault": document.get("fault"),
        "versions": {name: value for name, value in (document.get("versions") or {}).items() if value},
        "children": children(document),
        "flows": drawn_flows,
        "failures": failures(document),
        "accounting": accounting(document, drawn_flows),
        "explanation": document.get("explanation") or [],
        "cost": checker.process_cost(document["apache_processes"]) if document.get("apache_processes") else None,
    }
