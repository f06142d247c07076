"""What a run's page draws, computed from its stored JSON document: pure data, no HTML.

- the children: per Apache child (or mod_wsgi daemon process), its interpreters in the order
  mod_wsgi created them, each placed on the child's time axis (created, first ran, wrote a
  watched variable), what it inherited of each watched variable and what it did with it,
  what Celery and Django used, and the earlier interpreter of the same child whose write it
  inherited (an arrow);
- the flows: Host app -> interpreter -> where it published -> which worker consumed it (or
  failed:<error kind>, or lost), classified as the checker does (loadtest/checker.py);
- the failures by cause, and the accounting line;
- the canvas: wide enough for every box and for the title and subtitle, whatever their length.

Only the standard library, loadtest.lab and the checker: the page's tests run without the lab.
"""

from collections import Counter

from loadtest import checker, story
from loadtest.lab import APPS, WATCHED

# The timeline's layout (SVG user units); text widths are estimated from the font size.
BOX_W, BOX_GAP, LEFT, RIGHT, LINE_H = 660, 80, 170, 30, 21
CHAR_W = {"normal": 0.62, "bold": 0.68}  # of the font size: DejaVu Sans, generous


def text_width(text, size, weight="normal"):
    return len(text) * size * CHAR_W[weight]


def verdict_words(kind):
    """One spelling of every verdict: NOT_FIXED is written 'NOT FIXED'."""
    return kind.replace("_", " ")


def state(entry):
    """A box's colour and word: poisoned (another app's config or settings), failures, or ok."""
    if entry["poisoned"]:
        return "poisoned"
    return "failures" if entry["errors"] else "ok"


def children(document):
    """Per child (by pid), its interpreters in creation order (story.creation_order), each
    with its times from the child's first creation, its variables, and the earlier interpreter
    of the same child whose write it inherited, per variable."""
    drawn = []
    for child in sorted(document["timeline"], key=lambda c: c["pid"]):
        interpreters = sorted(child["interpreters"], key=story.creation_order)
        origin = story.child_origin({"interpreters": interpreters})

        def offset(moment, origin=origin):
            return None if moment is None else round(moment - origin, 3)

        rows = []
        for index, entry in enumerate(interpreters):
            arrows = []
            for name in WATCHED:
                variable = entry["variables"][name]
                source = next(
                    (
                        i
                        for i, earlier in enumerate(interpreters[:index])
                        if variable["inherited"] is not None
                        and variable["inherited"] in {w["value"] for w in earlier["variables"][name]["writes"]}
                    ),
                    None,
                )
                if source is not None:
                    arrows.append(
                        {
                            "name": name,
                            "value": variable["inherited"],
                            "from_index": source,
                            "from": (child["pid"], interpreters[source]["application_group"]),
                            "used": variable["outcome"] == "kept",
                        }
                    )
            published_to = entry.get("published_to") or {}
            errors = entry.get("errors") or {}
            rows.append(
                {
                    "pid": child["pid"],
                    "group": entry["application_group"],
                    "app": entry["host_app"],
                    "offset": offset(entry["created_at"]),
                    "logged_offset": offset(entry.get("logged_at")),
                    "first_ran_offset": offset(entry["first_ran_at"]),
                    "writes": [
                        {"name": name, "value": write["value"], "offset": offset(write["at"])}
                        for name in WATCHED
                        for write in entry["variables"][name]["writes"]
                    ],
                    "variables": [
                        {
                            "name": name,
                            "inherited": entry["variables"][name]["inherited"],
                            "outcome": entry["variables"][name]["outcome"],
                            "used": story.describe_used(entry["used"][name]),
                        }
                        for name in WATCHED
                    ],
                    # The variables drawn in the box: those it inherited (else one line says nothing).
                    "shown": [name for name in WATCHED if entry["variables"][name]["inherited"] is not None],
                    "rows_in": ", ".join(
                        f"{whose(where)} database x{n}" for where, n in sorted((entry.get("rows_in") or {}).items())
                    ),
                    "signed_with": ", ".join(
                        f"{whose(who)} key x{n}" for who, n in sorted((entry.get("signed_with") or {}).items())
                    ),
                    "arrow_groups": arrow_groups(arrows),
                    "inherited": entry["variables"]["CELERY_CONFIG_MODULE"]["inherited"],
                    "config_module": entry.get("config_module"),
                    "poisoned": bool(entry["poisoned"]),
                    "state": state(entry),
                    "arrows": arrows,
                    "inherited_from": next((a["from"] for a in arrows if a["used"]), None),
                    "published_to": dict(published_to),
                    "published": sum(published_to.values()),
                    "errors": dict(errors),
                    "failed": sum(errors.values()),
                }
            )
        drawn.append({"pid": child["pid"], "interpreters": rows})
    return drawn


def whose(where):
    """'app1' -> "app1's", 'app1+app2' -> "app1's and app2's"; 'none', 'neither', 'unsigned' as they are."""
    if where in ("none", "neither", "unsigned"):
        return where
    return " and ".join(f"{app}'s" for app in where.split("+"))


def arrow_groups(arrows):
    """The arrows as drawn: one per earlier interpreter and use (red: used, grey: overwritten),
    naming every variable it carried; the value too when it carried one."""
    groups = {}
    for arrow in arrows:
        group = groups.setdefault((arrow["from_index"], arrow["used"]), {**arrow, "names": []})
        group["names"].append(arrow["name"])
    for group in groups.values():
        group["label"] = f"{group['name']}={group['value']}" if len(group["names"]) == 1 else ", ".join(group["names"])
    return list(groups.values())


def layout(drawn_children):
    """The boxes' height (every box of the picture as tall as the tallest: its lines) and each
    lane's (the axis, the boxes, and room below them for the arrows)."""
    rows = [i for child in drawn_children for i in child["interpreters"]]
    lines = max((3 + max(1, len(i["shown"])) + 3 + bool(i["rows_in"] or i["signed_with"]) for i in rows), default=8)
    arrows = max((len(i["arrow_groups"]) for i in rows), default=0)
    box_h = 24 + lines * LINE_H + 14
    return {"box_w": BOX_W, "gap": BOX_GAP, "left": LEFT, "box_h": box_h, "line_h": LINE_H,
            "lane_h": 80 + box_h + 62 + 44 * max(1, arrows)}  # fmt: skip


def flows(document):
    """Counts of (Host app, pid, group, published to, recorded by the broker as, outcome): every
    request sent exactly once. "Published to" is what the web side's Celery app said;
    "recorded" is the broker's own record of the publish (user@vhost, from its firehose).

    Outcome: checker.outcome, the checker's own classification; "consumed by" names the worker
    app of its receipt, or failed:<error kind>, or lost."""
    receipts, _ = checker.first_receipts(document["receipts"])
    traced = {}
    for trace in document.get("traces") or []:
        traced.setdefault(trace["request_id"], trace)
    counts = Counter()
    for result in document["results"]:
        response = result.get("response") or {}
        user, vhost = response.get("publisher_user"), response.get("publisher_vhost")
        published = f"{user}@{vhost}" if user or vhost else "-"
        trace = traced.get(result["request_id"])
        recorded = f"{trace['user']}@{trace['vhost']}" if trace else "-"
        receipt = receipts.get(result["request_id"])
        kind = checker.outcome(result, receipt)
        if receipt is not None:
            outcome = receipt.get("worker_app") or receipt["worker_vhost"]
        else:
            outcome = f"failed:{result['error_kind']}" if kind == "failed" else "lost"
        key = (
            result["app"],
            response.get("pid"),
            response.get("application_group"),
            published,
            recorded,
            outcome,
            kind,
        )
        counts[key] += 1
    rows = [
        {
            "host_app": app,
            "pid": pid,
            "group": group,
            "published": published,
            "recorded": recorded,
            "consumed_by": outcome,
            "outcome": kind,
            "misrouted": kind == "misrouted",
            "count": count,
            "key": f"{app}|{pid}|{group}|{published}|{recorded}|{outcome}",
        }
        for (app, pid, group, published, recorded, outcome, kind), count in counts.items()
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
        "publishers": broker.get("publishers") or {},
        "not_judged": broker.get("not_judged") or 0,
        "firehose_resumed_after": broker.get("firehose_resumed_after"),
    }


def run_of(document):
    return {
        name: document.get(name)
        for name in ("run_id", "started_at", "code", "process_model", "scenario", "stack", "seed", "requests", "first")
    }


def canvas(drawn_children, title, subtitle):
    """The SVG's width: every lane's boxes, and the title (20, bold) and subtitle (15)."""
    widest = max((len(child["interpreters"]) for child in drawn_children), default=1)
    boxes = LEFT + widest * BOX_W + (widest - 1) * BOX_GAP + RIGHT
    return round(max(boxes, 16 + text_width(title, 20, "bold") + RIGHT, 16 + text_width(subtitle, 15) + RIGHT))


def timeline(document):
    """What the timeline picture (the SVG, and its PNG) draws: each child's interpreters on
    its time axis, from the run's timeline alone (a stored run without its per-request lists
    draws the same picture: loadtest.docs)."""
    verdict = document["verdict"]
    run = run_of(document)
    daemon = run["process_model"] == "daemon"
    drawn_children = children(document)
    title = (
        f"{verdict_words(verdict['kind'])}: {run['code']} code, {run['process_model']} mod_wsgi, "
        f"scenario {run['scenario']}, stack {run['stack']}"
    )
    subtitle = (
        f"Each {'mod_wsgi daemon process' if daemon else 'Apache child'}'s interpreters in the order mod_wsgi "
        "created them. Arrow: a watched variable inherited from that interpreter's write (red: and used)."
    )
    return {
        "children": drawn_children,
        "process_label": ("mod_wsgi daemon", "process") if daemon else ("Apache", "child"),
        "title": title,
        "subtitle": subtitle,
        "width": canvas(drawn_children, title, subtitle),
        "layout": layout(drawn_children),
    }


def picture(document):
    """Everything the page draws, from the run's JSON document."""
    drawn_flows = flows(document)
    verdict = document["verdict"]
    return {
        **timeline(document),
        "verdict": {**verdict, "words": verdict_words(verdict["kind"])},
        "run": run_of(document),
        "fault": document.get("fault"),
        "versions": {name: value for name, value in (document.get("versions") or {}).items() if value},
        "flows": drawn_flows,
        "failures": failures(document),
        "accounting": accounting(document, drawn_flows),
        "explanation": document.get("explanation") or [],
        "detector": document.get("detector") or [],
        "refused_logins": document.get("refused_logins") or {},
        "cost": document.get("apache_cost")
        and {**document["apache_cost"], "interpreters": sum(len(c["interpreters"]) for c in document["timeline"])},
    }
