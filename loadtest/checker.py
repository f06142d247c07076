"""The checker: pure functions of the history (the requests sent, the workers' receipts, the
broker's records, the nemesis's events, what the interpreters said) that account for every
request and reach the verdict. `check(run, history)` is the one call: it returns one typed
answer (Checked), composing the sub-checkers (the accounting here, the broker's record against
the receipts, the interpreters' story in loadtest.story). `outcome()` is the one
classification of a request, used by the accounting and the picture alike.

Codes, counts and evidence only: no sentence is written here (loadtest.phrasebook renders
them). No network, no Docker: everything here is unit-tested directly.
"""

from collections import Counter
from dataclasses import dataclass, field
from typing import Literal

from loadtest import story
from loadtest.lab import APPS, app_for_group, owner

# Where a request ended up (outcome()), in the order the table and the page show them.
OUTCOMES = ("own", "misrouted", "failed", "lost")
# The counts of every row of the accounting (per app, and the totals).
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
    # With a database: where PostgreSQL holds each request's row...
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
# The app whose own web config a scenario breaks on purpose, and the error that gives it; only
# that error, with that app's own config, is excused.
FAILING_BY_DESIGN = {"bad-credentials": ("app2", "login_refused"), "refused-broker": ("app2", "socket_error")}


@dataclass
class Counts:
    """One row of the accounting: every count of COUNTS, and the errors by kind."""

    sent: int = 0
    consumed_own: int = 0
    misrouted: int = 0
    failed: int = 0
    lost: int = 0
    foreign_failures: int = 0
    wrong_settings: int = 0
    failed_in_fault: int = 0
    lost_in_fault: int = 0
    lost_before_broker: int = 0
    clocks: int = 0
    wrong_clock: int = 0
    rows_own: int = 0
    rows_other: int = 0
    rows_in_both: int = 0
    rows_refused: int = 0
    rows_none: int = 0
    rows_lost: int = 0
    rows_named_other: int = 0
    signed_own: int = 0
    signed_other: int = 0
    signed_neither: int = 0
    signed_none: int = 0
    errors: dict[str, int] = field(default_factory=dict)  # failed requests by error kind
    misrouted_to: dict[str, int] = field(default_factory=dict)  # misrouted tasks by the vhost they reached
    own_config_errors: dict[str, int] = field(default_factory=dict)  # failures with the app's own config

    def add(self, name, n=1):
        setattr(self, name, getattr(self, name) + n)

    def count(self, name, key):
        table = getattr(self, name)
        table[key] = table.get(key, 0) + 1


@dataclass
class Totals(Counts):
    """The accounting's total row, and what only the whole run can say."""

    unexpected_receipts: int = 0  # receipts for requests this run did not send
    duplicate_receipts: int = 0  # receipts beyond each request's first
    redelivered_in_fault: int = 0  # delivered again after the fault began: its first ack was lost

    @property
    def leaks(self):
        """Every count that shows one app's setting used by the other."""
        return (
            self.misrouted + self.foreign_failures + self.wrong_settings + self.rows_other + self.rows_in_both
            + self.signed_other + self.wrong_clock + self.rows_named_other
        )  # fmt: skip


@dataclass
class Summary:
    per_app: dict[str, Counts]
    totals: Totals
    database: bool = False  # the scenario keeps rows in PostgreSQL (rows_* and signed_* count)
    clock: bool = False  # the answers carried the clocks (SCENARIO=time-zone)


@dataclass(frozen=True)
class BrokerWitness:
    """The broker's record (the firehose) against the workers' receipts, task by task."""

    publishes_by_vhost: dict[str, int]
    receipts_by_vhost: dict[str, int]
    publishers: dict[str, int]  # "user@vhost" -> publishes
    unrouted: int
    disagreements: int
    agrees: bool
    firehose_resumed_after: float | None = None  # seconds after the fault began
    not_judged: int = 0  # requests the broker's record cannot speak for (sent before it resumed)


@dataclass(frozen=True)
class FailureCause:
    """Failed requests grouped by Host app, interpreter, config and error, with librabbitmq's text."""

    app: str
    pid: int | None
    application_group: str | None
    config_module: str | None
    error_kind: str | None
    count: int
    error: str


@dataclass(frozen=True)
class Verdict:
    """What the run showed. kind: REPRODUCED, FIXED or ISOLATED when the lab showed what the
    command expected; NOT_REPRODUCED, NOT_FIXED or NOT_ISOLATED when it showed the opposite;
    INCONCLUSIVE when the witnesses do not account for every request. `evidence`: what showed
    the leak when no task was misrouted (codes); `missing`: why the witnesses do not account for
    every request (codes); `problems`: what kept the run from being checked, in the lab's words."""

    kind: Literal["REPRODUCED", "NOT_REPRODUCED", "FIXED", "NOT_FIXED", "ISOLATED", "NOT_ISOLATED", "INCONCLUSIVE"]
    success: bool
    expected: Literal["REPRODUCED", "FIXED", "ISOLATED"]
    evidence: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()
    problems: tuple[str, ...] = ()

    @property
    def exit_status(self):
        """0 the expected verdict, 1 the other one, 3 INCONCLUSIVE (2 is bad input)."""
        return 0 if self.success else 3 if self.kind == "INCONCLUSIVE" else 1


@dataclass(frozen=True)
class Checked:
    """The checker's one answer (Jepsen's `check` map)."""

    verdict: Verdict
    summary: Summary
    broker: BrokerWitness
    timeline: tuple[story.Child, ...]
    failure_causes: tuple[FailureCause, ...]
    reasons: tuple[story.Reason, ...]  # why the run came out as it did (phrasebook.reason renders each)
    inheritance_conflicts: tuple[story.Conflict, ...]


def check(run, history):
    """Everything the run showed, from its history alone (loadtest.history.History). `run`:
    what was asked (loadtest.core.Run: the spec, its expected verdict)."""
    results = history.results
    span = fault_span(history.fault, results)
    summary = summarize(history, span)
    broker = broker_witness(
        results, history.receipts, history.traces, span, firehose_resumed(history.firehose_events, span)
    )
    children = story.timeline(history)
    judged = verdict(run.spec.expected, summary, broker.agrees, run.spec.scenario, history.problems)
    return Checked(
        verdict=judged,
        summary=summary,
        broker=broker,
        timeline=children,
        failure_causes=failure_causes(results),
        reasons=(
            *story.reasons(children),
            *routing_reasons(results),
            *fault_reasons(summary.totals, history.fault, run.spec.transport),
        ),
        inheritance_conflicts=story.inheritance_conflicts(children),
    )


# ---- one request --------------------------------------------------------------------------
def outcome(request, receipt):
    """Where one request ended up, from the worker's receipt (None when no worker received it)
    and what the client recorded: 'own' (a worker consumed it from its own app's vhost),
    'misrouted' (from another app's vhost), 'failed' (no worker received it, and the client
    recorded an error), 'lost' (neither)."""
    if receipt is not None:
        return "own" if receipt.worker_vhost == request.app else "misrouted"
    return "failed" if request.error_kind else "lost"


def row_outcome(request, databases):
    """Where PostgreSQL holds a request's row (`databases`: the databases that hold one):
    'own' (its app's), 'other' (the other app's), 'both', 'refused' (none; PostgreSQL refused
    the connection, its error in the answer), 'none'."""
    if len(databases) > 1:
        return "both"
    if databases:
        return "own" if databases[0] == request.app else "other"
    return "refused" if request.error_kind == "database_refused" else "none"


def signature_outcome(request, signer):
    """Whose key signed a request's answer (`signer`: the app whose SECRET_KEY did, "neither"
    when no app's key did, None when the answer carried no signed value): 'own', 'other',
    'neither', 'none'."""
    if signer in (None, "neither"):
        return signer or "none"
    return "own" if signer == request.app else "other"


def first_receipts(receipts):
    """Each request's first receipt (a task delivered again is received twice), and how
    many receipts repeated one."""
    first = {}
    for receipt in receipts:
        first.setdefault(receipt.request_id, receipt)
    return first, len(receipts) - len(first)


def interpreter_of(result):
    return result.answer.interpreter_key if result.answer else None


# ---- the fault ----------------------------------------------------------------------------
def fault_span(fault, results):
    """When the nemesis's fault was under way, from the run's own events (as Jepsen records
    faults as operations): from its first step's start until the web side was seen working
    again, i.e. per interpreter (pid, group) the first success of a request sent after the
    last step ended (requests that reached no interpreter: the first such success anywhere).
    Returns (began_at, {interpreter or None: recovered_at}), or None without a fault."""
    if not fault or fault.began_at is None:
        return None
    ended = fault.ended_at or float("inf")
    recovered = {}
    for result in sorted(results, key=lambda r: r.answered_at):
        if result.ok and result.sent_at >= ended:
            for key in (interpreter_of(result), None):
                recovered.setdefault(key, result.answered_at)
    return fault.began_at, recovered


def in_fault(result, span):
    """Was this request answered while the fault was under way (see fault_span)?"""
    if span is None:
        return False
    began, recovered = span
    until = recovered.get(interpreter_of(result), recovered.get(None, float("inf")))
    return began <= result.answered_at <= until


def firehose_resumed(events, span):
    """When the firehose consumed again after the fault began (its `consuming` events: one per
    vhost at each connection), or None when it never stopped. A broker restart empties the
    firehose's view until then: a task published while its queue was not back yet is copied to
    no queue, so the broker's record of it is lost while the task itself is not."""
    if span is None:
        return None
    again = {}
    for event in sorted(events, key=lambda event: event.at):
        if event.at >= span[0]:
            again.setdefault(event.vhost, event.at)
    return max(again.values()) if again else None


# ---- the broker's record ------------------------------------------------------------------
def broker_witness(results, receipts, traces, span=None, resumed=None):
    """The broker's record (the firehose: which vhost and user published each task) against
    the workers' receipts, task by task: outside the fault, a task is recorded by the broker
    exactly when a worker received it, and in the same vhost. Requests sent before the
    firehose consumed again after the fault (`resumed`, firehose_resumed) are left out of the
    comparison and counted: the broker's record cannot speak for them."""
    traced = {}
    for trace in traces:
        traced.setdefault(trace.request_id, trace)
    received, _ = first_receipts(receipts)
    disagree = blind = 0
    for result in results:
        if in_fault(result, span):
            continue
        if resumed is not None and span[0] <= result.answered_at and result.sent_at < resumed:
            blind += 1
            continue
        trace, receipt = traced.get(result.request_id), received.get(result.request_id)
        if (trace is None) != (receipt is None) or (trace and receipt and trace.vhost != receipt.worker_vhost):
            disagree += 1
    publishes = Counter(trace.vhost for trace in traced.values())
    return BrokerWitness(
        publishes_by_vhost={app: publishes.get(app, 0) for app in APPS},
        receipts_by_vhost=receipts_by_vhost(received.values()),
        publishers=dict(Counter(f"{t.user}@{t.vhost}" for t in traced.values())),
        unrouted=sum(1 for t in traced.values() if not t.routed_queues),
        disagreements=disagree,
        agrees=disagree == 0,
        firehose_resumed_after=None if resumed is None else round(resumed - span[0], 3),
        not_judged=blind,
    )


def receipts_by_vhost(receipts):
    """Tasks received per vhost, each task once (pass one receipt per task)."""
    counts = Counter(receipt.worker_vhost for receipt in receipts)
    return {app: counts.get(app, 0) for app in APPS}


# ---- the accounting -----------------------------------------------------------------------
def summarize(history, span=None):
    """Account for every request of the history.

    A request is *consumed* when some worker has a receipt for it (whatever the web side
    said), *misrouted* when that worker's vhost is not its own app's, *failed* when no worker
    received it and the client recorded an error, and *lost* otherwise. Failures are
    *foreign* when the interpreter had another app's Celery config; *wrong_settings* counts
    answers served with another app's Django settings. With a fault, failures and losses of
    requests answered during it (fault_span) are counted apart: *_in_fault; a lost task is
    *lost_before_broker* when the broker never recorded it.

    In the scenarios with a database, the history's rows (from PostgreSQL) and signers (from the
    keys) give each request's rows_* (row_outcome) and signed_* (signature_outcome); *rows_lost*
    counts the requests answered 200 whose row PostgreSQL does not hold; *rows_named_other*
    those whose connection PostgreSQL recorded under another app's application_name (libpq takes
    it from PGAPPNAME in the process environment, a key only app1's .env defines)."""
    traced = {trace.request_id for trace in history.traces}
    received, duplicates = first_receipts(history.receipts)
    per_app = {app: Counts() for app in APPS}
    for result in history.results:
        row, receipt = per_app[result.app], received.get(result.request_id)
        count_answer(row, result)
        count_outcome(row, result, receipt, span, traced)
        if history.rows is not None:
            count_row(row, result, history.rows.get(result.request_id, ()), (history.row_names or {}), span)
        if history.signers is not None:
            row.add(f"signed_{signature_outcome(result, history.signers.get(result.request_id))}")
    totals = Totals()
    for row in per_app.values():
        for name in COUNTS:
            totals.add(name, getattr(row, name))
        for kind, n in row.errors.items():
            totals.errors[kind] = totals.errors.get(kind, 0) + n
    sent_ids = {r.request_id for r in history.results}
    totals.unexpected_receipts = sum(1 for rid in received if rid not in sent_ids)
    totals.duplicate_receipts = duplicates
    totals.redelivered_in_fault = redelivered(history.receipts, span)
    return Summary(per_app=per_app, totals=totals, database=history.rows is not None, clock=totals.clocks > 0)


def count_answer(row, result):
    """What the answer itself shows: another app's settings, the clocks."""
    row.sent += 1
    answer = result.answer
    if answer and answer.served_by not in (None, result.app):
        row.wrong_settings += 1
    if answer and answer.clock:  # SCENARIO=time-zone: the C library's local time against Django's
        row.clocks += 1
        row.wrong_clock += answer.clock.localtime_offset != answer.clock.django_offset


def count_outcome(row, result, receipt, span, traced):
    where = outcome(result, receipt)
    if where == "own":
        row.consumed_own += 1
    elif where == "misrouted":
        row.misrouted += 1
        row.count("misrouted_to", receipt.worker_vhost)
    elif where == "failed":
        row.failed += 1
        row.failed_in_fault += in_fault(result, span)
        row.count("errors", result.error_kind)
        used_config = owner(result.answer.broker.config_module) if result.answer and result.answer.broker else None
        if used_config not in (None, result.app):
            row.foreign_failures += 1
        elif used_config == result.app:
            row.count("own_config_errors", result.error_kind)
    else:
        row.lost += 1
        row.lost_in_fault += in_fault(result, span)
        row.lost_before_broker += result.request_id not in traced


def count_row(row, result, databases, names, span):
    placed = row_outcome(result, list(databases))
    row.add({"both": "rows_in_both"}.get(placed, f"rows_{placed}"))
    row.rows_lost += placed == "none" and result.ok and not in_fault(result, span)
    name = names.get(result.request_id)
    row.rows_named_other += name in APPS and name != result.app


def redelivered(receipts, span):
    """Tasks delivered again after the fault began: their first ack never reached the broker."""
    if span is None:
        return 0
    seen, again = set(), 0
    for receipt in receipts:
        again += receipt.request_id in seen and receipt.received_at >= span[0]
        seen.add(receipt.request_id)
    return again


def accounted(totals):
    """sent == consumed (own + misrouted) + failed with a recorded error + lost during a
    fault; nothing else lost, no task received twice, no receipt for a request this run did
    not send."""
    return not missing(totals, True)


def missing(totals, broker_agrees):
    """Why the witnesses do not account for every request: codes, none when they do."""
    reasons = []
    if totals.lost - totals.lost_in_fault:
        reasons.append("lost_outside_fault")
    if totals.sent != totals.consumed_own + totals.misrouted + totals.failed + totals.lost:
        reasons.append("counts_do_not_add_up")
    if totals.duplicate_receipts > totals.redelivered_in_fault:
        reasons.append("received_twice")
    if totals.unexpected_receipts:
        reasons.append("unexpected_receipts")
    if totals.rows_lost:
        reasons.append("rows_lost")
    if totals.signed_neither:
        reasons.append("signed_neither")
    if not broker_agrees:
        reasons.append("broker_disagrees")
    return tuple(reasons)


# ---- the verdict --------------------------------------------------------------------------
def evidence(totals):
    """What showed the leak besides misrouted tasks (codes, in the order they are told)."""
    shown = []
    if totals.foreign_failures:
        shown.append("foreign_failures")
    if totals.wrong_settings:
        shown.append("wrong_settings")
    if totals.rows_other + totals.rows_in_both + totals.signed_other + totals.rows_named_other:
        shown.append("foreign_rows_or_keys")
    if totals.wrong_clock:
        shown.append("wrong_clock")
    return tuple(shown)


def unexpected_failures(summary, scenario):
    """Failures that are neither the fault's nor the ones a scenario breaks on purpose."""
    excused_app, excused_kind = FAILING_BY_DESIGN.get(scenario, (None, None))
    return sum(
        row.failed - row.failed_in_fault - (row.own_config_errors.get(excused_kind, 0) if app == excused_app else 0)
        for app, row in summary.per_app.items()
    )


def verdict(expected, summary, broker_agrees, scenario="default", problems=()):
    """A REPRODUCED run succeeds when the leak showed; FIXED and ISOLATED ones when it did
    not (and nothing failed but what the scenario breaks on purpose). `problems`: what kept
    the run from being checked (e.g. Apache did not say which code it ran): INCONCLUSIVE."""
    totals = summary.totals
    judged = dict(expected=expected, evidence=evidence(totals))
    if problems:
        return Verdict("INCONCLUSIVE", False, problems=tuple(problems), **judged)
    gaps = missing(totals, broker_agrees)
    if gaps:
        return Verdict("INCONCLUSIVE", False, missing=gaps, **judged)
    # With no task at any worker, only a leak seen some other way (a broker refusal of another
    # app's config, another app's settings) is evidence; otherwise the broker may just be down.
    if totals.consumed_own + totals.misrouted == 0 and not (expected == "REPRODUCED" and totals.leaks):
        return Verdict("INCONCLUSIVE", False, missing=("no_task_reached_a_worker",), **judged)
    if expected == "REPRODUCED":
        return Verdict("REPRODUCED" if totals.leaks else "NOT_REPRODUCED", bool(totals.leaks), **judged)
    held = totals.leaks == 0 and unexpected_failures(summary, scenario) == 0
    return Verdict(expected if held else f"NOT_{expected}", held, **judged)


def expected_kind(code, process_model):
    """What a run of this code in this process model should show (loadtest.spec: RunSpec.expected)."""
    from loadtest.spec import EXPECTED

    return EXPECTED["daemon" if process_model == "daemon" else code]


# ---- the causes ---------------------------------------------------------------------------
def failure_causes(results):
    """Failed requests grouped by Host app, interpreter, config and error, with librabbitmq's text."""
    groups = {}
    for result in results:
        if result.ok:
            continue
        answer = result.answer
        key = (
            result.app,
            answer.pid if answer else None,
            answer.application_group if answer else None,
            answer.broker.config_module if answer and answer.broker else None,
            result.error_kind,
        )
        entry = groups.setdefault(key, [0, result.error or ""])
        entry[0] += 1
    return tuple(
        FailureCause(
            app=app, pid=pid, application_group=group, config_module=config, error_kind=kind, count=n, error=error
        )  # fmt: skip
        for (app, pid, group, config, kind), (n, error) in sorted(groups.items(), key=lambda item: str(item[0]))
    )


def routing_reasons(results):
    """Requests mod_wsgi ran in another app's interpreter: the application group of the
    interpreter that answered (its own word) names another app than the Host's."""
    routed = Counter(
        (result.app, result.answer.application_group)
        for result in results
        if result.answer
        and result.answer.application_group is not None
        and app_for_group(result.answer.application_group, result.answer.process_group) != result.app
    )
    return [
        story.Reason("routed_to_other_interpreter", app=app, group=group, count=n)
        for (app, group), n in sorted(routed.items())
    ]


def fault_reasons(totals, fault, transport):
    """Why the fault cost what it did, from the counts and the transport."""
    if not fault:
        return []
    reasons = []
    if totals.failed_in_fault:
        reasons.append(story.Reason("failed_in_fault", count=totals.failed_in_fault, fault=fault.fault))
    if totals.lost_before_broker:
        reasons.append(story.Reason("lost_before_broker", count=totals.lost_before_broker, transport=transport))
    after = totals.lost_in_fault - totals.lost_before_broker
    if after > 0:
        reasons.append(story.Reason("lost_after_broker", count=after))
    if totals.redelivered_in_fault:
        reasons.append(story.Reason("redelivered", count=totals.redelivered_in_fault))
    return reasons
