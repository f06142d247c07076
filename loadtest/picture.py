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

It reads a run's document (loadtest.document); its sentences are the phrasebook's. Only the
standard library and the lab's own modules: the page's tests run without the lab.
"""

from collections import Counter

from loadtest import checker, phrasebook, story
from loadtest.lab import APPS, WATCHED

# The timeline's layout (SVG user units); text widths are estimated from the font size.
BOX_W, BOX_GAP, LEFT, RIGHT, LINE_H = 660, 80, 170, 30, 21
CHAR_W = {"normal": 0.62, "bold": 0.68}  # of the font size: DejaVu Sans, generous


def text_width(text, size, weight="normal"):
    return len(text) * size * CHAR_W[weight]


verdict_words = phrasebook.words
whose = phrasebook.whose


def state(entry):
    """A box's colour and word: poisoned (another app's config or settings), failures, or ok."""
    if entry.poisoned:
        return "poisoned"
    return "failures" if entry.errors else "ok"


def children(document):
    """Per child (by pid), its interpreters in creation order (story.creation_order), each
    with its times from the child's first creation, its variables, and the earlier interpreter
    of the same child whose write it inherited, per variable."""
    drawn = []
    for child in sorted(document.checked.timeline, key=lambda c: c.pid):
        ordered = story.Child(
            child.pid, tuple(sorted(child.interpreters, key=story.creation_order)), child.environ_dict
        )
        origin = story.child_origin(ordered)
        rows = [interpreter_box(ordered, index, origin) for index in range(len(ordered.interpreters))]
        drawn.append({"pid": child.pid, "interpreters": rows})
    return drawn


def arrows_into(child, index):
    """The arrows into interpreter `index` of the child: one per watched variable it inherited
    from an earlier interpreter's write (red when it used the value)."""
    entry, arrows = child.interpreters[index], []
    for name in WATCHED:
        source = story.source_of(child.interpreters, index, name)
        if source is not None:
            arrows.append({
                "name": name,
                "value": entry.variables[name].inherited,
                "from_index": source,
                "from": (child.pid, child.interpreters[source].application_group),
                "used": entry.variables[name].outcome == "kept",
            })  # fmt: skip
    return arrows


def interpreter_box(child, index, origin):
    entry = child.interpreters[index]

    def offset(moment):
        return None if moment is None else round(moment - origin, 3)

    arrows = arrows_into(child, index)
    variables = entry.variables
    return {
        "pid": child.pid,
        "group": entry.application_group,
        "app": entry.host_app,
        "offset": offset(entry.created_at),
        "logged_offset": offset(entry.logged_at),
        "first_ran_offset": offset(entry.first_ran_at),
        "writes": [
            {"name": name, "value": write.value, "offset": offset(write.at)}
            for name in WATCHED
            for write in variables[name].writes
        ],
        "variables": [
            {
                "name": name,
                "inherited": variables[name].inherited,
                "outcome": variables[name].outcome,
                "used": phrasebook.describe_used(entry.used[name]),
            }
            for name in WATCHED
        ],  # fmt: skip
        # The variables drawn in the box: those it inherited (else one line says nothing).
        "shown": [name for name in WATCHED if variables[name].inherited is not None],
        "rows_in": ", ".join(f"{whose(where)} database x{n}" for where, n in sorted(entry.rows_in.items())),
        "signed_with": ", ".join(f"{whose(who)} key x{n}" for who, n in sorted(entry.signed_with.items())),
        "arrow_groups": arrow_groups(arrows),
        "inherited": variables["CELERY_CONFIG_MODULE"].inherited,
        "config_module": entry.config_module,
        "poisoned": entry.poisoned,
        "state": state(entry),
        "arrows": arrows,
        "inherited_from": next((a["from"] for a in arrows if a["used"]), None),
        "published_to": dict(entry.published_to),
        "published": sum(entry.published_to.values()),
        "errors": dict(entry.errors),
        "failed": sum(entry.errors.values()),
    }


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
    history = document.history
    receipts, _ = checker.first_receipts(history.receipts)
    traced = {}
    for trace in history.traces:
        traced.setdefault(trace.request_id, trace)
    counts = Counter()
    for result in history.results:
        answer = result.answer
        user, vhost = (answer.publisher_user, answer.publisher_vhost) if answer else (None, None)
        published = f"{user}@{vhost}" if user or vhost else "-"
        trace = traced.get(result.request_id)
        recorded = f"{trace.user}@{trace.vhost}" if trace else "-"
        receipt = receipts.get(result.request_id)
        kind = checker.outcome(result, receipt)
        if receipt is not None:
            consumed = receipt.worker_app or receipt.worker_vhost
        else:
            consumed = f"failed:{result.error_kind}" if kind == "failed" else "lost"
        pid, group = (answer.pid, answer.application_group) if answer else (None, None)
        counts[(result.app, pid, group, published, recorded, consumed, kind)] += 1
    rows = [
        {"host_app": app, "pid": pid, "group": group, "published": published, "recorded": recorded,
         "consumed_by": consumed, "outcome": kind, "misrouted": kind == "misrouted", "count": count,
         "key": f"{app}|{pid}|{group}|{published}|{recorded}|{consumed}"}
        for (app, pid, group, published, recorded, consumed, kind), count in counts.items()
    ]  # fmt: skip
    # Grouped by Host app (in the lab's order), then the largest flows first.
    order = {app: i for i, app in enumerate(APPS)}
    rows.sort(key=lambda r: (order.get(r["host_app"], len(order)), r["host_app"], -r["count"], r["key"]))
    return rows


def failures(document):
    """Failed requests by cause (checker.failure_causes), with a key for the page's hooks."""
    return [
        {**vars(cause), "key": "|".join(str(getattr(cause, name))
                                        for name in ("app", "pid", "application_group", "config_module", "error_kind"))}
        for cause in document.checked.failure_causes
    ]  # fmt: skip


def accounting(document, drawn_flows=None):
    """sent = consumed own + misrouted + failed + lost (the checker's totals), the broker's
    publishes vs the workers' receipts by vhost, and whether the drawn flows agree."""
    totals, broker = document.totals, document.checked.broker
    drawn = Counter()
    for flow in flows(document) if drawn_flows is None else drawn_flows:
        drawn[flow["outcome"]] += flow["count"]
    parts = {"own": "consumed_own", "misrouted": "misrouted", "failed": "failed", "lost": "lost"}
    publishes, receipts = broker.publishes_by_vhost, broker.receipts_by_vhost
    return {
        **{name: getattr(totals, name) for name in ("sent", "consumed_own", "misrouted", "failed", "lost")},
        "adds_up": totals.sent == sum(getattr(totals, name) for name in parts.values()),
        "flows_agree": sum(drawn.values()) == totals.sent
        and all(drawn[outcome] == getattr(totals, name) for outcome, name in parts.items()),
        "vhosts": [
            {"vhost": vhost, "publishes": publishes.get(vhost), "receipts": receipts.get(vhost)}
            for vhost in sorted(set(publishes) | set(receipts))
        ],
        "broker_agrees": broker.agrees,
        "publishers": broker.publishers,
        "not_judged": broker.not_judged,
        "firehose_resumed_after": broker.firehose_resumed_after,
    }


def run_of(document):
    spec, run = document.spec, document.run
    return {
        "run_id": run.run_id, "started_at": run.started_at, "seed": run.seed, "code": spec.code,
        "process_model": spec.process_model, "scenario": spec.scenario, "stack": spec.stack,
        "requests": spec.requests, "first": spec.first,
    }  # fmt: skip


def canvas(drawn_children, title, subtitle):
    """The SVG's width: every lane's boxes, and the title (20, bold) and subtitle (15)."""
    widest = max((len(child["interpreters"]) for child in drawn_children), default=1)
    boxes = LEFT + widest * BOX_W + (widest - 1) * BOX_GAP + RIGHT
    return round(max(boxes, 16 + text_width(title, 20, "bold") + RIGHT, 16 + text_width(subtitle, 15) + RIGHT))


def timeline(document):
    """What the timeline picture (the SVG, and its PNG) draws: each child's interpreters on
    its time axis, from the run's timeline alone (a stored run without its per-request lists
    draws the same picture: loadtest.docs)."""
    spec = document.spec
    daemon = spec.process_model == "daemon"
    drawn_children = children(document)
    title = (
        f"{verdict_words(document.verdict.kind)}: {spec.code} code, {spec.process_model} mod_wsgi, "
        f"scenario {spec.scenario}, stack {spec.stack}"
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
    """Everything the page draws, from the run's document."""
    drawn_flows = flows(document)
    verdict, history = document.verdict, document.history
    cost = history.apache_cost
    return {
        **timeline(document),
        "verdict": {
            "kind": verdict.kind,
            "success": verdict.success,
            "words": verdict_words(verdict.kind),
            "line": phrasebook.verdict_line(verdict, document.checked.summary),
        },  # fmt: skip
        "run": run_of(document),
        "fault": history.fault,
        "versions": {name: value for name, value in history.versions.items() if value},
        "flows": drawn_flows,
        "failures": failures(document),
        "accounting": accounting(document, drawn_flows),
        "explanation": [phrasebook.reason(reason) for reason in document.checked.reasons],
        "detector": history.detector,
        "refused_logins": history.refused_logins,
        "cost": cost and {**vars(cost), "interpreters": len(document.interpreters)},
    }
