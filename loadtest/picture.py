"""What a run's page draws, computed from its stored JSON document: pure data, no HTML.

- the children: per Apache child, its interpreters in creation order, what each inherited,
  which config its Celery app used, whether that is another app's (poisoned), and which
  earlier interpreter of the same child the inherited value came from;
- the flows: Host app -> interpreter -> where it published -> which worker consumed it;
- the failures by cause, and the accounting line.
"""

from collections import Counter

from loadtest.lab import config_app

CONFIG = "CELERY_CONFIG_MODULE"


def children(document):
    drawn = []
    for child in document["timeline"]:
        interpreters = child["interpreters"]
        first = min((e["created_at"] for e in interpreters if e["created_at"]), default=0)
        rows = []
        for index, entry in enumerate(interpreters):
            inherited = entry["inherited"].get(CONFIG)
            source = next(
                (
                    i
                    for i, earlier in enumerate(interpreters[:index])
                    if inherited and earlier["host_app"] == config_app(inherited)
                ),
                None,
            )
            rows.append(
                {
                    "pid": child["pid"],
                    "group": entry["application_group"],
                    "app": entry["host_app"],
                    "offset": round((entry["created_at"] or first) - first, 3),
                    "inherited": inherited,
                    "config_module": entry["config_module"],
                    "poisoned": bool(entry["foreign_config"]),
                    "inherited_from": source,
                    "published": sum(entry["published_to"].values()),
                    "failed": sum(entry["errors"].values()),
                }
            )
        drawn.append({"pid": child["pid"], "interpreters": rows})
    return drawn


def flows(document):
    """Counts of (Host app, pid, group, published to, consumed by): every request once."""
    consumer = {r["request_id"]: r.get("worker_app") or r["worker_vhost"] for r in document["receipts"]}
    counts = Counter()
    for result in document["results"]:
        response = result.get("response") or {}
        published = (
            f"{response.get('publisher_user')}@{response.get('publisher_vhost')}"
            if result["ok"]
            else f"failed: {result.get('error_kind')}"
        )
        consumed = consumer.get(result["request_id"], "lost" if result["ok"] else "-")
        key = (result["app"], response.get("pid"), response.get("application_group"), published, consumed)
        counts[key] += 1
    return [
        {
            "host_app": app,
            "pid": pid,
            "group": group,
            "published": published,
            "consumed_by": consumed,
            "count": count,
            "misrouted": consumed in ("app1", "app2") and consumed != app,
            "key": f"{app}|{pid}|{group}|{published}|{consumed}",
        }
        for (app, pid, group, published, consumed), count in sorted(counts.items(), key=lambda item: str(item[0]))
    ]


def accounting(document):
    totals = document["summary"]["totals"]
    broker = document["broker"]
    return {
        "sent": totals["sent"],
        "consumed_own": totals["consumed_own"],
        "misrouted": totals["misrouted"],
        "failed": totals["failed"],
        "lost": totals["lost"],
        "adds_up": totals["sent"] == totals["consumed_own"] + totals["misrouted"] + totals["failed"] + totals["lost"],
        "broker": broker["publishes_by_vhost"],
        "receipts": broker["receipts_by_vhost"],
        "broker_agrees": broker["agrees"],
    }


def picture(document):
    return {
        "verdict": document["verdict"],
        "run": {
            name: document.get(name)
            for name in ("run_id", "started_at", "code", "process_model", "scenario", "stack", "seed", "requests")
        },
        "fault": document.get("fault"),
        "versions": document.get("versions") or {},
        "children": children(document),
        "flows": flows(document),
        "failures": document["failure_causes"],
        "accounting": accounting(document),
    }
