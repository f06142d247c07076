"""The phrasebook: every sentence the terminal, the page and the docs show about a run, rendered
from its document's codes, counts and evidence (loadtest.document). Nothing here judges: the
checker has decided; this module only says it, once, the same way everywhere.

The terminal's default (`first_screen`) fits one screen: the run in one line, the table, one
line per poisoned interpreter naming the cause, one sentence of why, the report's path and the
verdict last, none wider than WIDTH. VERBOSE=1 adds the whole story (`details`)."""

import textwrap

from loadtest import story
from loadtest.lab import APP1_GROUP, READERS, WATCHED

WIDTH = 100
# What the runs measure in the containers, in the order shown; `machine` is Apache's (uname -m).
VERSION_NAMES = (
    "python", "mod_wsgi", "apache", "uwsgi", "nginx", "rabbitmq", "erlang", "celery", "kombu", "django",
    "librabbitmq", "machine",
)  # fmt: skip


def words(kind):
    """One spelling of every verdict: NOT_FIXED is written 'NOT FIXED'."""
    return kind.replace("_", " ")


def plural(n, word, many=None):
    return f"{n} {word if n == 1 else many or word + 's'}"


def group_name(group):
    """An application group as a reader meets it: app1's is literally '%{ENV:WSGI_APP_GROUP}'."""
    return "the unexpanded %{ENV:WSGI_APP_GROUP}" if group == APP1_GROUP else repr(group)


# ---- the run, in one line -----------------------------------------------------------------
def header(spec, seed, first_hosts, run_id):
    """'loadtest: make reproduce on trixie, 300 requests, app2 first, seed 1': whose Host's page view
    came first, alone (FIRST), and the seed that chose it and the mix."""
    knobs = " ".join(word for word in spec.knobs() if not word.startswith(("STACK=", "REQUESTS=")))
    first = f"{first_hosts[0].split('.')[0]} first" if first_hosts else "no page view first (burst)"
    line = f"loadtest: make {spec.command}{' ' + knobs if knobs else ''} on {spec.stack}, "
    return "\n".join(wrap(line + f"{spec.requests} requests, {first}, seed {seed}"))


# ---- the verdict --------------------------------------------------------------------------
EVIDENCE = {
    "foreign_failures": "{foreign_failures} requests failed with another app's Celery config",
    "wrong_settings": "{wrong_settings} were served with another app's Django settings",
    "foreign_rows_or_keys": (
        "rows went to the other app's database or under its name, or answers were signed with its key"
    ),
    "wrong_clock": "{wrong_clock} answers showed the C library's clock in another app's zone",
}
MISSING = {
    "lost_outside_fault": "{lost_outside} answered 200 but never reached a worker, outside any fault",
    "counts_do_not_add_up": "the counts do not add up",
    "received_twice": "{received_twice} tasks were received twice",
    "unexpected_receipts": "{unexpected_receipts} receipts are for requests this run did not send",
    "rows_lost": "{rows_lost} answered 200 but PostgreSQL holds no row of them",
    "signed_neither": "{signed_neither} answers were signed with a key of neither app",
    "broker_disagrees": "the broker's record of the tasks (its firehose) disagrees with the workers' receipts",
    "no_task_reached_a_worker": "no task reached any worker",
}


def counts_text(summary):
    """'142 of 300 tasks misrouted, 0 requests failed, 0 lost', with what else the run counted."""
    t = summary.totals
    text = f"{t.misrouted} of {t.sent} tasks misrouted, {t.failed} requests failed"
    if t.foreign_failures:
        text += f" ({t.foreign_failures} with another app's Celery config)"
    if t.wrong_settings:
        text += f", {t.wrong_settings} served with another app's Django settings"
    text += f", {t.lost} lost"
    if summary.database:
        text += (
            f"; {t.rows_other + t.rows_in_both} rows in the other app's database, {t.signed_other} answers signed "
            f"with its key, {t.rows_named_other} rows under its name"
        )
    if summary.clock:
        text += f"; {t.wrong_clock} answers with the C library's clock in another app's time zone"
    return text + fault_costs(t)


def fault_costs(t):
    costs = []
    if t.failed_in_fault:
        costs.append(f"{t.failed_in_fault} failed with the error they got")
    if t.lost_in_fault:
        costs.append(
            f"{t.lost_in_fault} answered 200 but never consumed ({t.lost_before_broker} never recorded by the broker)"
        )
    if t.redelivered_in_fault:
        costs.append(f"{t.redelivered_in_fault} consumed twice (redelivered: the ack never reached the broker)")
    return f"; during the fault {', '.join(costs)}" if costs else ""


def verdict_line(verdict, summary):
    """The verdict, its counts and, when it needs one, what showed it or what is missing."""
    t = summary.totals
    counts = counts_text(summary)
    facts = {
        **vars(t),
        "lost_outside": t.lost - t.lost_in_fault,
        "received_twice": t.duplicate_receipts - t.redelivered_in_fault,
    }
    if verdict.problems:
        return f"INCONCLUSIVE: {counts}; {'; '.join(verdict.problems)}"
    if verdict.missing:
        return f"INCONCLUSIVE: {counts}; {'; '.join(MISSING[code].format(**facts) for code in verdict.missing)}"
    if verdict.kind == "REPRODUCED" and not t.misrouted:
        # No task misrouted: say first what showed the leak, so that "0 misrouted" does not read as its absence.
        shown = " and ".join(EVIDENCE[code].format(**facts) for code in verdict.evidence)
        return f"REPRODUCED: {shown}; in all {counts}"
    if verdict.kind == "NOT_REPRODUCED":
        return f"NOT REPRODUCED: {counts} (try FIRST=app2 PROCESSES=1)"
    return f"{words(verdict.kind)}: {counts}"


# ---- why ----------------------------------------------------------------------------------
def reader(name):
    """'CELERY_CONFIG_MODULE (Celery: its configuration module)'."""
    who, decides = READERS[name]
    return f"{name} ({who}: {decides})"


KEPT_BY = {
    "setdefault": "setdefault() keeps a value that is already there",
    "load_dotenv": "python-dotenv's load_dotenv() keeps a value that is already there",
}
ENVIRON = {
    "shared": "This run measured one os.environ dict shared by every interpreter of a child (Python 2.7 to 3.8).",
    "own": "This run measured an os.environ dict of its own in each interpreter (Python 3.9 and later).",
}


# What each Reason code (loadtest.story, loadtest.checker) says: r is the Reason, n its interpreters
# counted, variable its variable with its reader, who the reader alone.
SAID = {
    "kept": lambda r, n, variable, who: (
        f"{r.interpreters} of {r.of} interpreters used another app's {variable}. They inherited it from their "
        f"Apache child's environment when mod_wsgi created them, and kept it (setdefault() keeps a value "
        f"that is already there, and so does load_dotenv() unless told to override)."
    ),
    "changed": lambda r, n, variable, who: (
        f"In {n} {who} used another app's {variable} that the interpreter neither inherited nor wrote: "
        f"another interpreter wrote it after this one started. {ENVIRON.get(r.environ, '')}".strip()
    ),
    "overwrote": lambda r, n, variable, who: (
        f"{n} inherited another app's {variable} and overwrote it before {who} read it. The entries still "
        f"write {r.variable} into the process environment (os.environ[...] = ... calls putenv()): "
        + (
            "each write reaches every interpreter at once, and the last writer wins."
            if r.environ == "shared"
            else "every interpreter mod_wsgi creates later in that child copies it."
        )
        + (f" {ENVIRON[r.environ]}" if r.environ in ENVIRON else "")
    ),  # fmt: skip
    "unread": lambda r, n, variable, who: (
        f"{n} inherited another app's {variable}, but {who} never read it."
        + (
            " Each app's Celery app took its configuration from a named module (config_from_object())."
            if r.variable == "CELERY_CONFIG_MODULE"
            else ""
        )
    ),  # fmt: skip
    "threads_fell_back": lambda r, n, variable, who: (
        f"In {r.app}'s interpreter of child {r.pid}, {r.threads} of its {r.of} threads seen fell back to "
        "Celery's default app, configured from the environment. Celery's current app is per thread: only the "
        "thread that ran the entry had the app it built, and app.set_default() makes it every thread's."
    ),
    "no_config_module": lambda r, n, variable, who: (
        f"{plural(r.count, 'request')} in {n} published with no Celery config module at all (Celery's built-in "
        "default broker, amqp://guest@localhost//): nothing set CELERY_CONFIG_MODULE for that app."
    ),
    "named_config": lambda r, n, variable, who: (
        f"Every Celery app in all {n} took its configuration from a named module (config_from_object()): "
        "CELERY_CONFIG_MODULE was never read."
        + (
            f" Yet in {plural(r.broker_read, 'interpreter')} Celery took its broker from CELERY_BROKER_URL "
            "in the environment, which it reads at every use, ahead of the app's own configuration."
            if r.broker_read
            else ""
        )
    ),  # fmt: skip
    "rows_in_other_database": lambda r, n, variable, who: (
        f"PostgreSQL holds {plural(r.count, 'row')} of {n} in another app's database: Django wrote where its "
        "DATABASE_URL pointed."
    ),
    "signed_with_other_key": lambda r, n, variable, who: (
        f"{plural(r.count, 'answer')} of {n} were signed with another app's SECRET_KEY (checked against each "
        "app's key): a cookie or token one app issued is accepted by the other."
    ),
    "nothing_inherited": lambda r, n, variable, who: (
        f"None of the {n} inherited another app's value of a watched variable ({', '.join(WATCHED)}): nothing "
        "passed from one app to the other through the process environment."
    ),
    "routed_to_other_interpreter": lambda r, n, variable, who: (
        f"{plural(r.count, 'request')} for {r.app}'s Host ran in application group {r.group!r}, another "
        "app's interpreter. mod_wsgi names the group from %{ENV:WSGI_APP_GROUP}; for a request that sets no "
        "such variable it reads the Apache child's own environment (getenv()), which os.environ writes reach."
    ),
    "failed_in_fault": lambda r, n, variable, who: (
        f"{plural(r.count, 'request')} failed during the {r.fault} fault, each with the error the web side got."
    ),
    "lost_before_broker": lambda r, n, variable, who: (
        f"{plural(r.count, 'request')} answered 200 were never recorded by the broker: they were published as it "
        "went down. "
        + (
            "librabbitmq publishes without confirms, so the web side could not know (TRANSPORT=pyamqp, with "
            "publisher confirms, turns them into failures)."
            if r.transport == "librabbitmq"
            else "Yet the publisher confirmed them."
        )
    ),  # fmt: skip
    "lost_after_broker": lambda r, n, variable, who: (
        f"{plural(r.count, 'task')} the broker recorded during the fault never reached a worker."
    ),
    "redelivered": lambda r, n, variable, who: (
        f"{plural(r.count, 'task was', 'tasks were')} delivered twice: the first ack never reached the broker "
        "(tasks are acked after they ran: a task may run twice, none is lost)."
    ),
}


def reason(r):
    """One Reason (loadtest.story), said in a sentence or two."""
    n = plural(r.interpreters, "interpreter")
    variable = r.variable and reader(r.variable)
    who = r.variable and READERS[r.variable][0]
    return SAID[r.code](r, n, variable, who)


def conflict(c):
    where = f"child {c.pid}, group {c.group!r}"
    if c.code == "was_before":
        return f"{where}: {c.variable} was {c.value} before this interpreter existed, yet it inherited {c.inherited}"
    return f"{where}: inherited {c.variable}={c.inherited}, which no interpreter had written yet"


# ---- the first screen ---------------------------------------------------------------------
def table(summary):
    """The accounting: a row per app and the total (with the database's columns when it has one)."""
    columns = [("sent", "sent", 6), ("consumed_own", "own", 6), ("misrouted", "misrouted", 10),
               ("failed", "failed", 7), ("lost", "lost", 5)]  # fmt: skip
    if summary.database:
        columns += [("rows_other", "other db", 9), ("signed_other", "other key", 10)]
    head = f"{'app':<6}" + "".join(f"{title:>{width}}" for _, title, width in columns) + "  errors by kind"
    lines = [head, "-" * min(len(head), WIDTH)]
    for app, row in [*summary.per_app.items(), ("total", summary.totals)]:
        errors = ", ".join(f"{kind}={n}" for kind, n in sorted(row.errors.items())) or "-"
        line = f"{app:<6}" + "".join(f"{getattr(row, name):>{width}}" for name, _, width in columns) + f"  {errors}"
        lines.append(line[:WIDTH])
    return lines


def whose(where):
    """'app1' -> "app1's", 'app1+app2' -> "app1's and app2's"; 'none', 'neither', 'unsigned' as they are."""
    if where in ("none", "neither", "unsigned"):
        return where
    return " and ".join(f"{app}'s" for app in where.split("+"))


def what_went_astray(entry):
    """Where a poisoned interpreter's tasks, rows and signatures went: 'its 127 tasks to app2's vhost'."""
    parts = []
    astray = {
        where.split("@")[-1]: n for where, n in entry.published_to.items() if where.split("@")[-1] != entry.host_app
    }
    parts += [f"{plural(n, 'task')} to vhost {vhost}" for vhost, n in sorted(astray.items())]
    if entry.foreign_rows:
        parts.append(f"{plural(entry.foreign_rows, 'row')} to the other app's database")
    if entry.foreign_signatures:
        parts.append(f"{plural(entry.foreign_signatures, 'answer')} signed with its key")
    failed = sum(entry.errors.values())
    if failed:
        parts.append(f"{plural(failed, 'request')} failed ({', '.join(sorted(entry.errors))})")
    if entry.wrong_settings:
        parts.append("served with its Django settings")
    return ", ".join(parts) or "nothing sent yet"


def cause(child, index):
    """One poisoned interpreter, in a line: which child, which app's interpreter, whose write it
    inherited, kept by what, where its work went."""
    entry = child.interpreters[index]
    names = [name for name in entry.used_foreign if entry.variables[name].inherited_foreign] or list(entry.used_foreign)
    source = next((story.source_of(child.interpreters, index, name) for name in names), None)
    writer = f"{child.interpreters[source].host_app}'s" if source is not None else "another app's"
    variables = ", ".join(names) if len(names) <= 2 else f"{names[0]} and {len(names) - 1} more"
    verb = "kept" if any(entry.variables[name].outcome == "kept" for name in names) else "used"
    went = what_went_astray(entry)
    return f"child {child.pid}: {entry.host_app}'s interpreter {verb} {writer} inherited {variables}: {went}"


def why_now(document):
    """The one sentence of why, for the first screen."""
    reasons = document.checked.reasons
    codes = {r.code for r in reasons}
    environ = story.measured_environ(document.checked.timeline)
    if "routed_to_other_interpreter" in codes:
        return "Why: app2 wrote WSGI_APP_GROUP into the child's environment; mod_wsgi routed app1's Host by it."
    if environ == "shared" and ("kept" in codes or "changed" in codes):
        return "Why: every interpreter of a child shares one os.environ here (Python 2.7 to 3.8): the last writer wins."
    if "kept" in codes or "changed" in codes:
        keepers = {v.kept_by for e in document.interpreters if e.poisoned for v in e.variables.values()} - {None}
        who = " and ".join(f"{keeper}()" for keeper in sorted(keepers)) or "the entry"
        if len(keepers) > 1:
            return f"Why: later interpreters copy what the entries wrote; {who} keep it."
        return f"Why: {who} writes the child's environment; interpreters created later copy it and keep it."
    if "named_config" in codes and not any(entry.poisoned for entry in document.interpreters):
        return "Why: each Celery app named its own configuration (config_from_object()), so none read the environment."
    if document.spec.process_model == "daemon":
        return "Why: each app ran in daemon processes of its own, so no interpreter could inherit the other's writes."
    return ""


def first_screen(document, cause_lines=4):
    """What the terminal shows after the load by default (about a dozen lines): the table, the
    poisoned interpreters (as many as fit in `cause_lines`), RabbitMQ's refusals, Python's first
    traceback, and one sentence of why."""
    lines = table(document.checked.summary)
    poisoned = [
        (child, i) for child in document.checked.timeline for i, e in enumerate(child.interpreters) if e.poisoned
    ]
    causes = [wrap(cause(child, i)) for child, i in poisoned]
    while sum(map(len, causes)) > cause_lines:
        causes = causes[:-1] if len(causes) > 1 else [causes[0][:cause_lines]]
        if len(causes) < len(poisoned):
            causes[-1:] = [[f"... and {len(poisoned) - len(causes) + 1} more poisoned interpreters (VERBOSE=1)"]]
            break
    lines += [line for lines_of_one in causes for line in lines_of_one]
    for user, times in sorted(document.history.refused_logins.items()):
        lines.append(f"RabbitMQ's own log: it refused user {user!r} {plural(times, 'time')}.")
    if document.history.tracebacks:
        first = document.history.tracebacks[0]
        lines += wrap(f"Python raised in Apache: {first.exception}" + (f" at {first.where}" if first.where else ""))
    return [*lines, *wrap(why_now(document))] if why_now(document) else lines


def wrap(line, indent="    "):
    return textwrap.wrap(line, WIDTH, subsequent_indent=indent, break_on_hyphens=False) or [""]


def report_line(report_path):
    line = f"Report: {report_path.removesuffix('.json')}.html"
    return line + " (VERBOSE=1: all of it here)" if len(line) <= WIDTH - 28 else line


# ---- the whole story (VERBOSE=1, the docs) ------------------------------------------------
def details(document):
    """Everything else the terminal shows with VERBOSE=1: the timeline, the failures, the
    detector, the broker's record, the fault, the versions, the cost and every reason."""
    history, checked = document.history, document.checked
    lines = ["Timeline: each Apache child's interpreters in the order mod_wsgi created them (seconds from the first):"]
    lines += timeline(checked.timeline)
    if checked.failure_causes:
        lines.append("Failures, by Host, interpreter and Celery config:")
        lines += [f"  {c.count:>4} x {c.app} request in pid {c.pid} group {c.application_group!r} with config "
                  f"{c.config_module}: {c.error_kind}: {c.error[:220]}" for c in checked.failure_causes]  # fmt: skip
    for traceback in history.tracebacks[:1]:
        lines.append(f"Python raised in Apache ({plural(len(history.tracebacks), 'traceback')} in its log; the first):")
        lines += [f"  {line}" for line in traceback.lines]
    lines += detector(history.detector)
    lines.append(broker_line(checked.broker))
    if history.fault:
        lines.append(f"Fault {fault_text(history.fault)}")
    lines.append(f"Versions measured: {versions(history.versions)}")
    if history.apache_cost:
        lines.append(f"Apache container: {cost(history.apache_cost, len(document.interpreters))}")
    lines += [f"Why: {reason(r)}" for r in checked.reasons]
    return lines


def detector(findings):
    if not findings:
        return ["Detector (envleak, in every interpreter; its lines in Apache's log): no interpreter flagged."]
    return ["Detector (envleak, in every interpreter; its lines in Apache's log):"] + [
        f"  pid {f.pid} interpreter {f.group!r}: {f.variable}={f.finding}" for f in findings
    ]


def broker_line(broker):
    publishers = ", ".join(f"{where} x{n}" for where, n in sorted(broker.publishers.items())) or "nothing"
    line = (
        f"The broker recorded (its firehose, task by task): {publishers}; the workers received by vhost: "
        + ", ".join(f"{vhost} {n}" for vhost, n in broker.receipts_by_vhost.items())
        + f" ({'agree' if broker.agrees else 'DISAGREE'})"
    )
    if broker.not_judged:
        line += (f"; its firehose consumed again {broker.firehose_resumed_after:.1f} s after the fault began: "
                 f"{broker.not_judged} requests sent before that are judged by the receipts alone")  # fmt: skip
    return line


def fault_text(fault):
    """'broker-restart: restart rabbitmq +0.0 s to +1.6 s (exit 0); ...'."""
    began = fault.began_at or 0
    steps = "; ".join(
        f"{s.command} +{s.began_at - began:.1f} s to +{s.ended_at - began:.1f} s (exit {s.exit})" for s in fault.steps
    )
    return f"{fault.fault}: {steps or 'no step ran'}"


def versions(measured):
    return ", ".join(f"{name} {measured[name]}" for name in VERSION_NAMES if measured.get(name)) or "unknown"


def cost(measured, interpreters):
    """'7 processes (4 of them mod_wsgi daemon processes), 4 Python interpreters, 212 MiB resident'."""
    extra = f" ({measured.daemon_processes} of them mod_wsgi daemon processes)" if measured.daemon_processes else ""
    return (f"{measured.processes} processes{extra}, {interpreters} Python interpreters, {measured.rss_mib} MiB "
            "resident (RSS: shared pages counted in each process)")  # fmt: skip


def describe_used(uses):
    """'app2.celeryconfig' or 'app2.celeryconfig x138, none x16'."""
    if not uses:
        return "nothing yet (it served page views only)"
    if len(uses) == 1:
        return uses[0].value or "none"
    return ", ".join(f"{use.value or 'none'} x{use.count}" for use in uses)


def times(entry, origin):
    def at(moment):
        return f"+{moment - origin:.3f}s" if moment is not None else "?"

    parts = [
        f"created {at(entry.created_at)}" + (f" (mod_wsgi's log: {at(entry.logged_at)})" if entry.logged_at else "")
    ]
    parts.append(f"first ran {at(entry.first_ran_at)}")
    written = sorted((write.at, name) for name, s in entry.variables.items() for write in s.writes)
    parts += [f"wrote {name} {at(moment)}" for moment, name in written]
    return ", ".join(parts)


def inherited(entry):
    verbs = {"kept": "kept it", "overwrote": "overwrote it", "unread": "never read", "changed": "changed under it"}
    told = [(name, s) for name, s in entry.variables.items() if s.inherited is not None]
    text = ("inherited " + ", ".join(f"{name}={s.inherited} ({verbs.get(s.outcome, s.outcome)})" for name, s in told)
            if told else "inherited nothing")  # fmt: skip
    changed = [name for name, s in entry.variables.items() if s.outcome == "changed" and not s.inherited]
    return text + "".join(f"; {name} changed under it after it started" for name in changed)


def timeline(children):
    lines = []
    for child in children:
        origin = story.child_origin(child)
        shared = " (its interpreters' os.environ wrap one shared dict)" if child.environ_dict == "shared" else ""
        lines.append(f"  Apache child pid {child.pid}{shared}:")
        for entry in child.interpreters:
            gil = " (its own GIL)" if entry.gil == "own" else ""
            lines += [
                f"    {entry.host_app} in group {entry.application_group!r}{gil}: {times(entry, origin)}",
                f"        {inherited(entry)}",
                f"        {used_line(entry)}",
            ]
    return lines


def used_line(entry):
    if not any(entry.used.values()):
        return "served page views only"

    def listed(counts, say):
        return ", ".join(f"{say(where)} x{n}" for where, n in sorted(counts.items()))

    parts = (
        f"published {listed(entry.published_to, str)}" if entry.published_to else "",
        f"rows in {listed(entry.rows_in, lambda w: whose(w) + ' database')}" if entry.rows_in else "",
        f"signed with {listed(entry.signed_with, lambda w: whose(w) + ' key')}" if entry.signed_with else "",
        listed(entry.errors, str),
    )
    outcome = "; ".join(part for part in parts if part)
    marks = [mark for mark, shown in (("ANOTHER APP'S CONFIG", entry.foreign_config),
                                      ("ANOTHER APP'S SETTINGS", entry.wrong_settings),
                                      ("ANOTHER APP'S DATABASE", entry.foreign_rows),
                                      ("ANOTHER APP'S KEY", entry.foreign_signatures)) if shown]  # fmt: skip
    return (
        f"Celery used {describe_used(entry.used['CELERY_CONFIG_MODULE'])}, Django "
        f"{describe_used(entry.used['DJANGO_SETTINGS_MODULE'])}"
        + (f": {outcome}" if outcome else "")
        + (f"   <- {' AND '.join(marks)}" if marks else "")
    )


def terminal(document, verbose=False):
    """Everything the terminal prints after the load (the header line is printed before it)."""
    lines = first_screen(document)
    if verbose:
        lines = [*lines[:-1], *details(document), lines[-1]]
    ending = [report_line(document.report_path), verdict_line(document.verdict, document.checked.summary)]
    return [*lines, *(part for line in ending for part in wrap(line))]
