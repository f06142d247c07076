"""The checker: pure functions of the history (the requests sent, the workers' receipts, the
broker's records, the nemesis's events, what the interpreters said) that account for every
request and reach the verdict. `check(run, history)` is the one call: it returns the verdict
and everything derived from it, composing the sub-checkers (the accounting here, the broker's
record against the receipts, the interpreters' story in loadtest.story). `outcome()` is the
one classification of a request, used by the accounting and the picture alike.
No network, no Docker: everything here is unit-tested directly.
"""

from collections import Counter
from dataclasses import asdict, dataclass

from loadtest import story
from loadtest.lab import APPS, app_for_group, owner

# Where a request ended up (outcome()), in the order the table and the page show them.
OUTCOMES = ("own", "misrouted", "failed", "lost")


def outcome(request, receipt):
    """Where one request ended up, from the worker's receipt (None when no worker received it)
    and what the client recorded: 'own' (a worker consumed it from its own app's vhost),
    'misrouted' (from another app's vhost), 'failed' (no worker received it, and the client
    recorded an error), 'lost' (neither)."""
    if receipt is not None:
        return "own" if receipt["worker_vhost"] == request["app"] else "misrouted"
    return "failed" if request.get("error_kind") else "lost"


def row_outcome(request, databases):
    """Where PostgreSQL holds a request's row (`databases`: the databases that hold one):
    'own' (its app's), 'other' (the other app's), 'both', 'refused' (none; PostgreSQL refused
    the connection, its error in the answer), 'none'."""
    if len(databases) > 1:
        return "both"
    if databases:
        return "own" if databases[0] == request["app"] else "other"
    return "refused" if request.get("error_kind") == "database_refused" else "none"


def signature_outcome(request, signer):
    """Whose key signed a request's answer (`signer`: the app whose SECRET_KEY did, "neither"
    when no app's key did, None when the answer carried no signed value): 'own', 'other',
    'neither', 'none'."""
    if signer in (None, "neither"):
        return signer or "none"
    return "own" if signer == request["app"] else "other"


def first_receipts(receipts):
    """Each request's first receipt (a task delivered again is received twice), and how
    many receipts repeated one."""
    first = {}
    for receipt in receipts:
        first.setdefault(receipt["request_id"], receipt)
    return first, len(receipts) - len(first)


def check(run, history):
    """Everything the run showed, from its history alone (loadtest.history.History): the
    accounting of every request, the broker's record against the workers', the interpreters'
    story and its "Why" sentences, and the verdict. One call, one map (Jepsen's `check`)."""
    results = history.results
    span = fault_span(history.fault, results)
    summary = summarize(
        results, history.receipts, history.fault, history.traces, history.rows, history.signers, history.row_names
    )
    broker = broker_witness(
        results, history.receipts, history.traces, span, firehose_resumed(history.firehose_events, span)
    )
    children = story.timeline(
        results, history.interpreter_log, history.first_requests, history.key_fingerprints, history.rows,
        history.signers,
    )  # fmt: skip
    judged = verdict(run["expected"], summary, broker["agrees"], run["scenario"], history.problems)
    return {
        "verdict": judged.as_dict(),
        "summary": summary,
        "broker": broker,
        "timeline": children,
        "failure_causes": failure_causes(results),
        "explanation": story.explanation(children)
        + routing_explanation(results)
        + fault_explanation(summary["totals"], history.fault, run["transport"]),
        "inheritance_conflicts": story.inheritance_conflicts(children),
    }


def interpreter_of(result):
    response = result.get("response") or {}
    return (response.get("pid"), response.get("application_group")) if "pid" in response else None


def fault_span(fault, results):
    """When the nemesis's fault was under way, from the run's own events (as Jepsen records
    faults as operations): from its first step's start until the web side was seen working
    again, i.e. per interpreter (pid, group) the first success of a request sent after the
    last step ended (requests that reached no interpreter: the first such success anywhere).
    Returns (began_at, {interpreter or None: recovered_at}), or None without a fault."""
    if not fault or fault.get("began_at") is None:
        return None
    ended = fault.get("ended_at") or float("inf")
    recovered = {}
    for result in sorted(results, key=lambda r: r.get("answered_at") or 0):
        if result["ok"] and (result.get("sent_at") or 0) >= ended:
            for key in (interpreter_of(result), None):
                recovered.setdefault(key, result["answered_at"])
    return fault["began_at"], recovered


def in_fault(result, span):
    """Was this request answered while the fault was under way (see fault_span)?"""
    if span is None:
        return False
    began, recovered = span
    at = result.get("answered_at") or 0
    until = recovered.get(interpreter_of(result), recovered.get(None, float("inf")))
    return began <= at <= until


def firehose_resumed(events, span):
    """When the firehose consumed again after the fault began (its `consuming` events: one per
    vhost at each connection), or None when it never stopped. A broker restart empties the
    firehose's view until then: a task published while its queue was not back yet is copied to
    no queue, so the broker's record of it is lost while the task itself is not."""
    if span is None:
        return None
    again = {}
    for event in sorted(events, key=lambda event: event["at"]):
        if event["at"] >= span[0]:
            again.setdefault(event["vhost"], event["at"])
    return max(again.values()) if again else None


def broker_witness(results, receipts, traces, span=None, resumed=None):
    """The broker's record (the firehose: which vhost and user published each task) against
    the workers' receipts, task by task: outside the fault, a task is recorded by the broker
    exactly when a worker received it, and in the same vhost. Requests sent before the
    firehose consumed again after the fault (`resumed`, firehose_resumed) are left out of the
    comparison and counted: the broker's record cannot speak for them."""
    traced = {}
    for trace in traces:
        traced.setdefault(trace["request_id"], trace)
    received, _ = first_receipts(receipts)
    disagree = blind = 0
    for result in results:
        if in_fault(result, span):
            continue
        if resumed is not None and span[0] <= (result.get("answered_at") or 0) and result["sent_at"] < resumed:
            blind += 1
            continue
        trace, receipt = traced.get(result["request_id"]), received.get(result["request_id"])
        if (trace is None) != (receipt is None) or (trace and receipt and trace["vhost"] != receipt["worker_vhost"]):
            disagree += 1
    publishes = Counter(trace["vhost"] for trace in traced.values())
    return {
        "publishes_by_vhost": {app: publishes.get(app, 0) for app in APPS},
        "receipts_by_vhost": receipts_by_vhost(received.values()),
        "publishers": dict(Counter(f"{t['user']}@{t['vhost']}" for t in traced.values())),
        "unrouted": sum(1 for t in traced.values() if not t.get("routed_queues")),
        "disagreements": disagree,
        "agrees": disagree == 0,
        "firehose_resumed_after": None if resumed is None else round(resumed - span[0], 3),
        "not_judged": blind,
    }


def receipts_by_vhost(receipts):
    """Tasks received per vhost, each task once (pass one receipt per task)."""
    counts = Counter(receipt["worker_vhost"] for receipt in receipts)
    return {app: counts.get(app, 0) for app in APPS}


def summarize(results, receipts, fault=None, traces=(), rows=None, signers=None, row_names=None):
    """Account for every request.

    results: one dict per request sent: request_id, app (by Host), ok (bool), error_kind,
        error (text), response (the JSON the web side answered, may be empty).
    receipts: the workers' receipts of this run: request_id, worker_vhost, ...

    A request is *consumed* when some worker has a receipt for it (whatever the web side
    said), *misrouted* when that worker's vhost is not its own app's, *failed* when no worker
    received it and the client recorded an error, and *lost* otherwise. Failures are
    *foreign* when the interpreter had another app's Celery config; *wrong_settings* counts
    answers served with another app's Django settings. With a fault (the nemesis's record),
    failures and losses of requests answered during it (fault_span) are counted apart:
    *_in_fault; a lost task is *lost_before_broker* when the broker never recorded it
    (`traces`: the firehose's records).

    In the scenarios with a database, `rows` ({request_id: [database, ...]}, from PostgreSQL)
    and `signers` ({request_id: app, "neither" or None}, from the keys) give each request's
    rows_* (row_outcome) and signed_* (signature_outcome); *rows_lost* counts the requests
    answered 200 whose row PostgreSQL does not hold; *rows_named_other* those whose connection
    PostgreSQL recorded under another app's application_name (`row_names`: libpq takes it from
    PGAPPNAME in the process environment, a key only app1's .env defines).
    """
    span = fault_span(fault, results)
    traced = {trace["request_id"] for trace in traces}
    received, duplicates = first_receipts(receipts)
    # A task delivered again after the fault began: its first ack never reached the broker.
    redelivered = 0
    if span is not None:
        seen = set()
        for receipt in receipts:
            redelivered += receipt["request_id"] in seen and receipt.get("received_at", 0) >= span[0]
            seen.add(receipt["request_id"])

    per_app = {app: _empty_row() for app in APPS}
    for result in results:
        row = per_app[result["app"]]
        row["sent"] += 1
        response = result.get("response") or {}
        used_config = owner((response.get("broker") or {}).get("config_module"))
        if response.get("served_by") not in (None, result["app"]):
            row["wrong_settings"] += 1
        clock = response.get("clock")  # SCENARIO=time-zone: the C library's local time against Django's
        if clock:
            row["clocks"] += 1
            row["wrong_clock"] += clock["localtime_offset"] != clock["django_offset"]
        receipt = received.get(result["request_id"])
        where = outcome(result, receipt)
        if where == "own":
            row["consumed_own"] += 1
        elif where == "misrouted":
            row["misrouted"] += 1
            row["misrouted_to"][receipt["worker_vhost"]] += 1
        elif where == "failed":
            row["failed"] += 1
            row["failed_in_fault"] += in_fault(result, span)
            row["errors"][result["error_kind"]] += 1
            if used_config not in (None, result["app"]):
                row["foreign_failures"] += 1
            elif used_config == result["app"]:
                row["own_config_errors"][result["error_kind"]] += 1
        else:
            row["lost"] += 1
            row["lost_in_fault"] += in_fault(result, span)
            row["lost_before_broker"] += result["request_id"] not in traced
        if rows is not None:
            placed = row_outcome(result, rows.get(result["request_id"], []))
            row[{"both": "rows_in_both"}.get(placed, f"rows_{placed}")] += 1
            row["rows_lost"] += placed == "none" and result["ok"] and not in_fault(result, span)
            name = (row_names or {}).get(result["request_id"])
            row["rows_named_other"] += name in APPS and name != result["app"]
        if signers is not None:
            row[f"signed_{signature_outcome(result, signers.get(result['request_id']))}"] += 1
    for row in per_app.values():
        row["errors"] = dict(row["errors"])
        row["misrouted_to"] = dict(row["misrouted_to"])
        row["own_config_errors"] = dict(row["own_config_errors"])

    totals = _empty_row()
    for row in per_app.values():
        for key in COUNTS:
            totals[key] += row[key]
    totals["errors"] = dict(sum((Counter(r["errors"]) for r in per_app.values()), Counter()))
    totals["misrouted_to"] = totals["own_config_errors"] = {}
    sent_ids = {r["request_id"] for r in results}
    totals["unexpected_receipts"] = sum(1 for rid in received if rid not in sent_ids)
    totals["duplicate_receipts"] = duplicates
    totals["redelivered_in_fault"] = redelivered
    return {"per_app": per_app, "totals": totals, "database": rows is not None, "clock": totals["clocks"] > 0}


COUNTS = (
    "sent",
    "consumed_own",
    "misrouted",
    "failed",
    "lost",
    "foreign_failures",  # failed while the interpreter had another app's Celery config
    "wrong_settings",  # answered with another app's Django settings
    "failed_in_fault",  # failed while the nemesis's fault was under way
    "lost_in_fault",  # answered 200 while the fault was under way, never consumed
    "lost_before_broker",  # answered 200, never consumed, and the broker never recorded it
    # SCENARIO=time-zone: answers that carried the clocks, and those whose C library's local
    # time was in another zone than the one the app's own settings ask for (Django's).
    "clocks",
    "wrong_clock",
    # With a database (summarize): where PostgreSQL holds each request's row...
    "rows_own",
    "rows_other",  # in the other app's database
    "rows_in_both",
    "rows_refused",  # PostgreSQL refused the connection
    "rows_none",
    "rows_lost",  # answered 200, yet PostgreSQL holds no row of it (outside a fault)
    "rows_named_other",  # its connection named after the other app (application_name: PGAPPNAME)
    # ...and whose key signed its answer.
    "signed_own",
    "signed_other",  # with the other app's SECRET_KEY
    "signed_neither",  # with a key of neither app
    "signed_none",  # no signed value in the answer
)


def _empty_row():
    return {**dict.fromkeys(COUNTS, 0), "errors": Counter(), "misrouted_to": Counter(), "own_config_errors": Counter()}


def accounted(totals):
    """sent == consumed (own + misrouted) + failed with a recorded error + lost during a
    fault; nothing else lost, no task received twice, no receipt for a request this run did
    not send."""
    return (
        totals["lost"] == totals.get("lost_in_fault", 0)
        and totals["sent"] == totals["consumed_own"] + totals["misrouted"] + totals["failed"] + totals["lost"]
        and totals.get("duplicate_receipts", 0) == totals.get("redelivered_in_fault", 0)
        and totals.get("unexpected_receipts", 0) == 0
        and totals.get("rows_lost", 0) == 0
        and totals.get("signed_neither", 0) == 0
    )


# The app whose own web config a scenario breaks on purpose, and the error that gives it; only
# that error, with that app's own config, is excused.
FAILING_BY_DESIGN = {"bad-credentials": ("app2", "login_refused"), "refused-broker": ("app2", "socket_error")}


@dataclass(frozen=True)
class Verdict:
    """What the run showed. kind: REPRODUCED, FIXED or ISOLATED when the lab showed what the
    command expected; NOT_REPRODUCED, NOT_FIXED or NOT_ISOLATED when it showed the opposite;
    INCONCLUSIVE when the witnesses do not account for every request."""

    kind: str
    success: bool
    line: str

    def as_dict(self):
        return asdict(self)

    @property
    def exit_status(self):
        """0 the expected verdict, 1 the other one, 3 INCONCLUSIVE (2 is bad input)."""
        return 0 if self.success else 3 if self.kind == "INCONCLUSIVE" else 1


def fault_costs(totals):
    """What a fault cost, with the causes the lab showed (docs/referee.md)."""
    costs = []
    if totals.get("failed_in_fault"):
        costs.append(f"{totals['failed_in_fault']} failed with the error they got")
    if totals.get("lost_in_fault"):
        before = totals.get("lost_before_broker", 0)
        costs.append(
            f"{totals['lost_in_fault']} answered 200 but never consumed ({before} never recorded by the broker)"
        )
    if totals.get("redelivered_in_fault"):
        costs.append(f"{totals['redelivered_in_fault']} consumed twice (redelivered: the ack never reached the broker)")
    return f"; during the fault {', '.join(costs)}" if costs else ""


def routing_explanation(results):
    """Requests mod_wsgi ran in another app's interpreter: the application group of the
    interpreter that answered (its own word) names another app than the Host's."""
    routed = Counter(
        (result["app"], (result.get("response") or {}).get("application_group"))
        for result in results
        if "application_group" in (result.get("response") or {})
        and app_for_group(result["response"]["application_group"], result["response"].get("process_group"))
        != result["app"]
    )
    return [
        f"{n} requests for {app}'s Host ran in application group {group!r}, another app's interpreter: mod_wsgi "
        "names the group from %{ENV:WSGI_APP_GROUP}, and for a request that sets no such variable it reads the "
        "Apache child's own environment (getenv()), which Python's os.environ writes reach."
        for (app, group), n in sorted(routed.items())
    ]


def fault_explanation(totals, fault, transport):
    """Why the fault cost what it did, from the counts and the transport: sentences for the
    run's "Why" lines."""
    if not fault:
        return []
    sentences = []
    if totals.get("failed_in_fault"):
        sentences.append(
            f"{totals['failed_in_fault']} requests failed during the {fault['fault']} fault, each with the error the "
            "web side got (failures by cause, above)."
        )
    before = totals.get("lost_before_broker", 0)
    if before:
        cause = (
            "librabbitmq publishes without confirms, so the web side could not know (TRANSPORT=pyamqp, with "
            "publisher confirms, turns them into failures)"
            if transport == "librabbitmq"
            else "yet the publisher confirmed them"
        )
        sentences.append(
            f"{before} requests answered 200 were never recorded by the broker: they were published as it went "
            f"down; {cause}."
        )
    after = totals.get("lost_in_fault", 0) - before
    if after > 0:
        sentences.append(f"{after} tasks the broker recorded during the fault never reached a worker.")
    if totals.get("redelivered_in_fault"):
        sentences.append(
            f"{totals['redelivered_in_fault']} tasks were delivered twice: their first ack never reached the broker "
            "(tasks are acked after they ran: a task may run twice, none is lost)."
        )
    return sentences


def what_is_missing(totals, broker_agrees):
    """The one sentence that says why the witnesses do not account for every request."""
    reasons = []
    unexplained = totals["lost"] - totals.get("lost_in_fault", 0)
    if unexplained:
        reasons.append(f"{unexplained} answered 200 but never reached a worker, outside any fault")
    if totals.get("duplicate_receipts", 0) > totals.get("redelivered_in_fault", 0):
        reasons.append(
            f"{totals['duplicate_receipts'] - totals.get('redelivered_in_fault', 0)} tasks were received twice"
        )
    if totals.get("unexpected_receipts"):
        reasons.append(f"{totals['unexpected_receipts']} receipts are for requests this run did not send")
    if totals.get("rows_lost"):
        reasons.append(f"{totals['rows_lost']} answered 200 but PostgreSQL holds no row of them")
    if totals.get("signed_neither"):
        reasons.append(f"{totals['signed_neither']} answers were signed with a key of neither app")
    if not broker_agrees:
        reasons.append("the broker's record of the tasks (its firehose) disagrees with the workers' receipts")
    return "; ".join(reasons) or "the counts do not add up"


def expected_kind(code, process_model):
    """What a run of this code in this process model should show."""
    if process_model == "daemon":
        return "ISOLATED"
    return "REPRODUCED" if code == "buggy" else "FIXED"


def verdict(expected, summary, broker_agrees, scenario="default", problems=()):
    """A REPRODUCED run succeeds when the leak showed; FIXED and ISOLATED ones when it did
    not (and nothing failed but what the scenario breaks on purpose). `problems`: what kept
    the run from being checked (e.g. Apache did not say which code it ran): INCONCLUSIVE."""
    totals = summary["totals"]
    counts = f"{totals['misrouted']} of {totals['sent']} tasks misrouted, {totals['failed']} requests failed"
    if totals["foreign_failures"]:
        counts += f" ({totals['foreign_failures']} with another app's Celery config)"
    if totals["wrong_settings"]:
        counts += f", {totals['wrong_settings']} served with another app's Django settings"
    counts += f", {totals['lost']} lost"
    if summary.get("database"):
        counts += (
            f"; {totals['rows_other'] + totals['rows_in_both']} rows in the other app's database, "
            f"{totals['signed_other']} answers signed with the other app's key, "
            f"{totals['rows_named_other']} rows written under the other app's application_name"
        )
    if summary.get("clock"):
        counts += f"; {totals['wrong_clock']} answers with the C library's clock in another app's time zone"
    counts += fault_costs(totals)
    if problems:
        return Verdict("INCONCLUSIVE", False, f"INCONCLUSIVE: {counts}; {'; '.join(problems)}")
    if not (accounted(totals) and broker_agrees):
        return Verdict("INCONCLUSIVE", False, f"INCONCLUSIVE: {counts}; {what_is_missing(totals, broker_agrees)}")
    leaks = totals["misrouted"] + totals["foreign_failures"] + totals["wrong_settings"]
    leaks += totals["rows_other"] + totals["rows_in_both"] + totals["signed_other"] + totals["wrong_clock"]
    leaks += totals["rows_named_other"]
    # With no task at any worker, only a leak seen some other way (a broker refusal of another
    # app's config, another app's settings) is evidence; otherwise the broker may just be down.
    if totals["consumed_own"] + totals["misrouted"] == 0 and not (expected == "REPRODUCED" and leaks):
        return Verdict("INCONCLUSIVE", False, f"INCONCLUSIVE: {counts}; no task reached any worker")
    if expected == "REPRODUCED":
        if leaks and not totals["misrouted"]:
            # No task misrouted: say first what showed the leak, so that "0 misrouted" does not
            # read as its absence.
            shown = []
            if totals["foreign_failures"]:
                shown.append(f"{totals['foreign_failures']} requests failed with another app's Celery config")
            if totals["wrong_settings"]:
                shown.append(f"{totals['wrong_settings']} were served with another app's Django settings")
            if totals["rows_other"] + totals["rows_in_both"] + totals["signed_other"] + totals["rows_named_other"]:
                shown.append(
                    "rows went to the other app's database or under its name, or answers were signed with its key"
                )
            if totals["wrong_clock"]:
                shown.append(f"{totals['wrong_clock']} answers showed the C library's clock in another app's zone")
            return Verdict("REPRODUCED", True, f"REPRODUCED: {' and '.join(shown)}; in all {counts}")
        if leaks:
            return Verdict("REPRODUCED", True, f"REPRODUCED: {counts}")
        return Verdict("NOT_REPRODUCED", False, f"NOT REPRODUCED: {counts} (try FIRST=app2 PROCESSES=1)")
    unexpected_failures = sum(
        row["failed"]
        - row.get("failed_in_fault", 0)
        - (
            row.get("own_config_errors", {}).get(FAILING_BY_DESIGN[scenario][1], 0)
            if (FAILING_BY_DESIGN.get(scenario, (None,))[0] == app)
            else 0
        )
        for app, row in summary["per_app"].items()
    )
    if leaks == 0 and unexpected_failures == 0:
        return Verdict(expected, True, f"{expected}: {counts}")
    return Verdict(f"NOT_{expected}", False, f"NOT {expected}: {counts}")


def failure_causes(results):
    """Failed requests grouped by Host app, interpreter, config and error, with librabbitmq's text."""
    groups = {}
    for result in results:
        if result["ok"]:
            continue
        response = result.get("response") or {}
        key = (
            result["app"],
            response.get("pid"),
            response.get("application_group"),
            (response.get("broker") or {}).get("config_module"),
            result.get("error_kind"),
        )
        entry = groups.setdefault(key, {"count": 0, "error": result.get("error", "")})
        entry["count"] += 1
    return [
        {"app": app, "pid": pid, "application_group": group, "config_module": config, "error_kind": kind, **entry}
        for (app, pid, group, config, kind), entry in sorted(groups.items(), key=lambda item: str(item[0]))
    ]
