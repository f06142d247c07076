"""The checker: pure functions of the history (the requests sent, the workers' receipts, the
broker's records, the nemesis's events) that account for every request and reach the verdict.
No network, no Docker: everything here is unit-tested directly.
"""

from collections import Counter
from dataclasses import asdict, dataclass

from loadtest.lab import APPS, READERS, WATCHED, app_for_group, config_app


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
    traced, received = {}, {}
    for trace in traces:
        traced.setdefault(trace["request_id"], trace)
    for receipt in receipts:
        received.setdefault(receipt["request_id"], receipt)
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


def summarize(results, receipts, fault=None, traces=()):
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
    """
    span = fault_span(fault, results)
    traced = {trace["request_id"] for trace in traces}
    received = {}
    duplicates = redelivered = 0
    for receipt in receipts:
        if receipt["request_id"] in received:
            duplicates += 1
            # Delivered again after the fault began: its first ack never reached the broker.
            redelivered += span is not None and receipt.get("received_at", 0) >= span[0]
        received[receipt["request_id"]] = receipt

    per_app = {app: _empty_row() for app in APPS}
    for result in results:
        row = per_app[result["app"]]
        row["sent"] += 1
        response = result.get("response") or {}
        used_config = config_app((response.get("broker") or {}).get("config_module"))
        if response.get("served_by") not in (None, result["app"]):
            row["wrong_settings"] += 1
        receipt = received.get(result["request_id"])
        if receipt is not None:
            if receipt["worker_vhost"] == result["app"]:
                row["consumed_own"] += 1
            else:
                row["misrouted"] += 1
                row["misrouted_to"][receipt["worker_vhost"]] += 1
        elif result.get("error_kind"):
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
    return {"per_app": per_app, "totals": totals}


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
    counts += fault_costs(totals)
    if problems:
        return Verdict("INCONCLUSIVE", False, f"INCONCLUSIVE: {counts}; {'; '.join(problems)}")
    if not (accounted(totals) and broker_agrees):
        return Verdict("INCONCLUSIVE", False, f"INCONCLUSIVE: {counts}; {what_is_missing(totals, broker_agrees)}")
    leaks = totals["misrouted"] + totals["foreign_failures"] + totals["wrong_settings"]
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


def timeline(results, logged=(), greetings=()):
    """Per Apache child, its interpreters in the order mod_wsgi created them: when each was
    created, first ran its WSGI file, wrote a watched variable and served its first request;
    what it inherited and used of each watched variable (variable_story); where it published
    and what failed. `logged`: mod_wsgi's own "Create interpreter" lines (history), whose
    times are shown beside the interpreter's own record. `greetings`: the first page views
    (client.greet), which created interpreters and published nothing."""
    table = {}
    pages = [{"response": greeting.get("answer") or {}, "page_view": True} for greeting in greetings]
    for result in [*pages, *results]:
        response = result.get("response") or {}
        if "pid" not in response:
            continue
        key = (response["pid"], response.get("application_group"))
        record = response.get("interpreter") or {}
        entry = table.get(key)
        if entry is None:
            entry = table[key] = {
                "pid": response["pid"],
                "application_group": response.get("application_group"),
                "host_app": app_for_group(response.get("application_group"), response.get("process_group")),
                "served_by": response.get("served_by"),
                "created_at": record.get("created_at"),
                "first_ran_at": record.get("first_ran_at"),
                "entry_loaded_at": record.get("entry_loaded_at"),
                "gil": record.get("gil"),
                "first_request_at": None,
                "inherited": {name: value for name, value in (record.get("inherited") or {}).items() if value},
                "writes": [],
                "after_entry": record.get("after_entry") or {},
                "used": {name: Counter() for name in WATCHED},
                "published_to": Counter(),
                "errors": Counter(),
                "celery_apps": Counter(),
                "celery_loaders": Counter(),
                "named_config": Counter(),  # config modules given by name (config_from_object())
                "threads": {},  # Celery app -> the Apache threads that used it
            }
        # Each answer carries the interpreter's writes so far: keep the longest list.
        writes = [write for write in record.get("writes") or [] if write.get("name") in WATCHED]
        if len(writes) > len(entry["writes"]):
            entry["writes"] = writes
        started = response.get("request_started_at")
        if started and (entry["first_request_at"] is None or started < entry["first_request_at"]):
            entry["first_request_at"] = started
        if result.get("page_view"):
            continue
        broker = response.get("broker") or {}
        entry["used"]["CELERY_CONFIG_MODULE"][broker.get("config_module")] += 1
        entry["used"]["DJANGO_SETTINGS_MODULE"][response.get("django_settings")] += 1
        entry["celery_apps"][broker.get("celery_app")] += 1
        entry["celery_loaders"][broker.get("loader")] += 1
        if broker.get("config_from_environment") is False:
            entry["named_config"][broker.get("config_module")] += 1
        if response.get("thread") is not None:
            entry["threads"].setdefault(str(broker.get("celery_app")), set()).add(response["thread"])
        if result["ok"]:
            entry["published_to"][f"{response.get('publisher_user')}@{response.get('publisher_vhost')}"] += 1
        else:
            entry["errors"][result.get("error_kind")] += 1
    # A daemon process's main interpreter (%{GLOBAL}) is attached, not created.
    logged_at = {(line["pid"], line["group"]): line["at"] for line in logged}
    children = {}
    for entry in table.values():
        entry["logged_at"] = logged_at.get((entry["pid"], entry["application_group"]))
        entry["published_to"] = dict(entry["published_to"])
        entry["errors"] = dict(entry["errors"])
        entry["celery_apps"] = {str(name): n for name, n in entry["celery_apps"].items()}
        entry["celery_loaders"] = {str(name): n for name, n in entry["celery_loaders"].items()}
        entry["named_config"] = {str(name): n for name, n in entry["named_config"].items()}
        entry["threads"] = {name: len(threads) for name, threads in entry["threads"].items()}
        entry["used"] = {name: {str(value): n for value, n in used.items()} for name, used in entry["used"].items()}
        entry["variables"] = {name: variable_story(entry, name) for name in WATCHED}
        configs = [config for config in entry["used"]["CELERY_CONFIG_MODULE"] if config != "None"]
        # The config most requests used (for the table and the failures); the box shows every one.
        entry["config_module"] = max(configs, key=entry["used"]["CELERY_CONFIG_MODULE"].get, default=None)
        entry["foreign_config"] = entry["variables"]["CELERY_CONFIG_MODULE"]["used_foreign"]
        entry["wrong_settings"] = entry["variables"]["DJANGO_SETTINGS_MODULE"]["used_foreign"]
        entry["poisoned"] = entry["foreign_config"] or entry["wrong_settings"]
        children.setdefault(entry["pid"], []).append(entry)
    return [{"pid": pid, "interpreters": sorted(rows, key=creation_order)} for pid, rows in sorted(children.items())]


def creation_order(entry):
    known = [at for at in (entry["created_at"], entry["logged_at"], entry["first_ran_at"]) if at is not None]
    return (not known, min(known, default=0))


# What an interpreter did with one watched variable (variable_story's "outcome").
OUTCOMES = {
    "none": "inherited nothing",
    "own": "inherited nothing; set its own",
    "kept": "inherited another app's value and used it",
    "overwrote": "inherited another app's value and overwrote it before it was read",
    "unread": "inherited another app's value; nothing read it",
    "changed": "used a value it neither inherited nor wrote: changed under it",
}


def child_origin(child):
    """The moment the child's first interpreter was created: 0 on its time axis."""
    times = [at for entry in child["interpreters"] for at in (entry["created_at"], entry["first_ran_at"]) if at]
    return min(times, default=0.0)


def describe_used(used):
    """'app2.celeryconfig' or 'app2.celeryconfig x138, none x16'."""
    if not used:
        return "nothing yet (it served page views only)"
    if len(used) == 1:
        return "none" if next(iter(used)) == "None" else next(iter(used))
    return ", ".join(
        f"{'none' if value == 'None' else value} x{n}"
        for value, n in sorted(used.items(), key=lambda vn: (-vn[1], vn[0]))
    )


def variable_story(entry, name):
    """One watched variable in one interpreter: what it inherited (at creation), what it wrote
    (and when), what its entry left, what its reader (Celery, Django) used, and the outcome."""
    inherited = entry["inherited"].get(name)
    writes = [{"value": write["value"], "at": write["at"]} for write in entry["writes"] if write["name"] == name]
    used = {value: n for value, n in entry["used"][name].items() if value != "None"}
    written = {write["value"] for write in writes}
    left = entry["after_entry"].get(name)
    # What its reader took from the environment: a Celery app given its module by name
    # (config_from_object()) read none.
    named = entry.get("named_config", {}) if name == "CELERY_CONFIG_MODULE" else {}
    read = {value: n - named.get(value, 0) for value, n in used.items() if n > named.get(value, 0)}
    # Python 2.7's one os.environ: another interpreter wrote it after this one started (before
    # or after its entry ran; then setdefault() kept it, or Celery read it lazily).
    if any(value not in written | {inherited} for value in read):
        outcome = "changed"
    elif inherited is None:
        outcome = "own" if writes else "none"
    elif inherited in read:
        outcome = "kept"
    elif writes:
        outcome = "overwrote"
    else:
        outcome = "unread"
    return {
        "inherited": inherited,
        "inherited_foreign": config_app(inherited) not in (None, entry["host_app"]),
        "writes": writes,
        "left_by_entry": left,
        "used": used,
        "used_foreign": any(config_app(value) not in (None, entry["host_app"]) for value in used),
        "outcome": outcome,
    }


def inheritance_conflicts(children):
    """Where the recorded times contradict what the interpreters say they inherited; empty
    when the time axis and the inheritance agree. An interpreter copies its child's
    environment while mod_wsgi creates it: after the first request it served began (a lower
    bound) and before its own record of its creation (an upper bound). The child's first
    interpreter, created before any other could write, inherited the process's own values.
    So:
    - a write by another interpreter of the child before that lower bound must have been
      inherited (or a later write of the same variable, made before the upper bound);
    - a value it inherited must have been written before the upper bound, or be the
      process's own."""
    conflicts = []
    for child in children:
        interpreters = sorted(child["interpreters"], key=creation_order)
        writes = [
            (write["at"], name, write["value"], entry["application_group"])
            for entry in interpreters
            for name, story in entry["variables"].items()
            for write in story["writes"]
        ]
        for entry in interpreters:
            low = entry["first_request_at"]
            high = entry["created_at"] or entry["first_ran_at"]
            where = f"child {child['pid']}, group {entry['application_group']!r}"
            for name in WATCHED:
                own = interpreters[0]["variables"][name]["inherited"]  # the process's own value
                inherited = entry["variables"][name]["inherited"]
                others = sorted(w for w in writes if w[1] == name and w[3] != entry["application_group"])
                before = [w for w in others if low is not None and w[0] < low]
                possible = {before[-1][2]} if before else {own}
                possible |= {w[2] for w in others if high is not None and (low or 0) <= w[0] < high}
                if low is not None and inherited not in possible:
                    conflicts.append(
                        f"{where}: {name} was {before[-1][2] if before else own} before this interpreter existed, "
                        f"yet it inherited {inherited}"
                    )
                written_before = any(w[2] == inherited and high is not None and w[0] < high for w in others)
                if inherited not in (None, own) and not written_before:
                    conflicts.append(f"{where}: inherited {name}={inherited}, which no interpreter had written yet")
    return conflicts


def process_cost(processes):
    """What the Apache container's processes cost: how many, their resident memory (RSS, in
    MiB; shared pages counted in each process) and how many are mod_wsgi daemon processes."""
    return {
        "processes": len(processes),
        "rss_mib": round(sum(process["rss_kib"] for process in processes) / 1024),
        "daemon_processes": sum(process["command"].startswith("(wsgi:") for process in processes),
    }


# The name Celery gives the app it builds for itself when none was made the default
# (celery/_state.py): configured lazily, from CELERY_CONFIG_MODULE in the environment.
DEFAULT_CELERY_APP = "default"
# The loader of an app configured with config_from_object(); the default app's loader is
# celery.loaders.default, which reads CELERY_CONFIG_MODULE.
NAMED_CONFIG_LOADER = "celery.loaders.app"


def interpreters_count(entries):
    return f"{len(entries)} interpreter{'s' * (len(entries) != 1)}"


def explanation(children):
    """Why the run came out as it did, from what each interpreter inherited, wrote and used of
    every watched variable: one sentence per thing that happened, each with how many
    interpreters it happened in. `children` is timeline()'s output."""
    interpreters = [entry for child in children for entry in child["interpreters"]]
    if not interpreters:
        return []
    sentences = []
    for name, reader in READERS.items():
        stories = [(entry, entry["variables"][name]) for entry in interpreters]
        kept = [entry for entry, story in stories if story["outcome"] == "kept" and story["inherited_foreign"]]
        changed = [entry for entry, story in stories if story["outcome"] == "changed" and story["used_foreign"]]
        overwrote = [
            entry for entry, story in stories if story["outcome"] == "overwrote" and story["inherited_foreign"]
        ]
        unread = [entry for entry, story in stories if story["outcome"] == "unread" and story["inherited_foreign"]]
        if kept:
            sentences.append(
                f"{len(kept)} of {len(interpreters)} interpreters used another app's {name}: they inherited it from "
                f"their Apache child's environment when mod_wsgi created them, kept it (setdefault() keeps a value "
                f"that is already there), and {reader} read it."
            )
        if changed:
            sentences.append(
                f"In {interpreters_count(changed)} {reader} used another app's {name} that the interpreter neither "
                "inherited nor wrote: another interpreter wrote it after this one started (one os.environ "
                "shared by every interpreter)."
            )
        if overwrote:
            sentences.append(
                f"{interpreters_count(overwrote)} inherited another app's {name} and overwrote it before {reader} read "
                f"it: the entries still write {name} into the process environment (os.environ[...] = ... calls "
                "putenv()), which every interpreter mod_wsgi creates later in that child copies."
            )
        if unread:
            sentences.append(
                f"{interpreters_count(unread)} inherited another app's {name}, but {reader} never read it: "
                + (
                    "each app's Celery app took its configuration from a named module (config_from_object())."
                    if name == "CELERY_CONFIG_MODULE"
                    else "nothing in the interpreter asked for it."
                )
            )
    split = [e for e in interpreters if DEFAULT_CELERY_APP in e["celery_apps"] and len(e["celery_apps"]) > 1]
    unconfigured = [e for e in interpreters if e["used"]["CELERY_CONFIG_MODULE"].get("None")]
    for entry in split:
        threads = entry.get("threads") or {}
        fell_back = threads.get(DEFAULT_CELERY_APP, 0)
        counted = (
            f"{fell_back} of its {sum(threads.values())} threads seen" if threads else "some threads"
        )  # fmt: skip
        sentences.append(
            f"In {entry['host_app']}'s interpreter of child {entry['pid']}, {counted} fell back to Celery's default "
            "app, configured from the environment; only the threads that ran the entry had the Celery app it "
            "built: Celery's current app is per thread, and app.set_default() makes it every thread's. (Celery's "
            "Django fix-up does that for the first app built, but only if DJANGO_SETTINGS_MODULE is already set "
            "then.)"
        )
    if unconfigured:
        requests = sum(e["used"]["CELERY_CONFIG_MODULE"]["None"] for e in unconfigured)
        sentences.append(
            f"{requests} requests in {interpreters_count(unconfigured)} published with no Celery config module at "
            "all (Celery's built-in default broker, amqp://guest@localhost//), because nothing set "
            "CELERY_CONFIG_MODULE for the default app those threads used."
        )
    if all(set(entry["celery_loaders"]) == {NAMED_CONFIG_LOADER} for entry in interpreters):
        sentences.append(
            f"Every Celery app in all {len(interpreters)} interpreters took its configuration from a named module "
            "(config_from_object()): CELERY_CONFIG_MODULE was never read."
        )
    if not any(story["inherited_foreign"] for entry in interpreters for story in entry["variables"].values()):
        sentences.append(
            f"None of the {len(interpreters)} interpreters inherited another app's value of a watched variable "
            f"({', '.join(WATCHED)}): nothing passed from one app to the other through the process environment."
        )
    return sentences


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
