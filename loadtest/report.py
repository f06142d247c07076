"""The report: the run stored as data first (a JSON document under reports/), then rendered
from that data as text for the terminal (and as an HTML page with its picture)."""

import dataclasses
import datetime
import json
import os

from loadtest import picture, story
from loadtest.lab import LATEST_REPORT, UsageError
from loadtest.report_html import write_index, write_run_page

# What the runs measure in the containers, in the order shown; `machine` is Apache's (uname -m).
VERSION_NAMES = (
    "python", "mod_wsgi", "apache", "rabbitmq", "erlang", "celery", "kombu", "django", "librabbitmq", "machine",
)  # fmt: skip


def document(run, history, checked):
    """The stored form of a run: what was asked (`run`: the knobs, seed, run id, times), what
    its witnesses recorded (`history`, loadtest.history.History) and what the checker derived
    from that (`checked`, loadtest.checker.check). report.schema.json declares every key."""
    recorded = {field.name: getattr(history, field.name) for field in dataclasses.fields(history)}  # no deep copy
    return {**run, **recorded, **checked}


def forget_latest(report_dir):
    """Removed as a run starts, so a run that ends without a verdict leaves none behind."""
    (report_dir / LATEST_REPORT).unlink(missing_ok=True)


def check_writable(report_dir):
    try:
        report_dir.mkdir(parents=True, exist_ok=True)
        probe = report_dir / f".write-test-{os.getpid()}"
        probe.write_text("")
        probe.unlink()
    except OSError as exc:
        raise UsageError(f"cannot write reports to {report_dir}: {exc.strerror}") from None


def store(doc, report_dir, label=""):
    """Store the JSON document (and latest.json beside it), its page and the index. Returns the
    JSON's path."""
    json_path = write_json(doc, report_dir, label)
    latest = report_dir / f".{LATEST_REPORT}.{os.getpid()}"
    latest.write_text(json_path.read_text())
    latest.replace(report_dir / LATEST_REPORT)
    write_run_page(doc, json_path)
    write_index(report_dir)
    return json_path


def show(doc, verbose=False):
    """Print the run's text, the report's paths, and the verdict last."""
    stem = doc["report_path"].removesuffix(".json")
    print(format_text(doc))
    print(f"Report: {stem}.html, {stem}.json")
    print(doc["verdict"]["line"])


def write_json(doc, report_dir, label=""):
    """Writes the document as <stamp>-<stack>-<code>-...-<run id>.json, its own path in it."""
    stamp = datetime.datetime.now(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")
    parts = (stamp, doc["stack"], doc["code"], doc["process_model"], doc["scenario"], label, doc["run_id"])
    skip = ("embedded", "default", "")
    path = report_dir / ("-".join(part for part in parts if part not in skip) + ".json")
    doc["report_path"] = str(path)
    # One line, by json's C encoder (it runs only without indent: an indented dump of a run took a
    # fifth of a second); the run's page is the way to read it, `python -m json.tool` another.
    path.write_text(json.dumps(doc, sort_keys=True) + "\n")
    return path


def format_header(run):
    fault = "" if run["fault"] == "none" else f", fault {run['fault']}"
    variant = "" if run.get("mod_wsgi", "stack") == "stack" else f" with mod_wsgi {run['mod_wsgi']} ({run['gil']} GIL)"
    first = (
        "first, one at a time, GET /hello/ on " + " then ".join(run["first_hosts"])
        if run.get("first_hosts")
        else ("no first request alone (burst)")
    )
    return (
        f"loadtest: {run['code']} code, {run['process_model']} mod_wsgi, scenario {run['scenario']}, "
        f"stack {run['stack']} on {run['platform']}{variant}, {run['transport']}{fault}, {run['requests']} requests, "
        f"{run['concurrency']} threads, "
        f"seed {run['seed']}, {first}, run {run['run_id']}; "
        f"expecting {run['expected']}"
    )


def format_versions(versions):
    return ", ".join(f"{name} {versions[name]}" for name in VERSION_NAMES if versions.get(name)) or "unknown"


def format_text(doc):
    """Everything the terminal shows after the load, the verdict last."""
    broker = doc["broker"]
    lines = ["", format_table(doc["summary"]), ""]
    lines.append(
        "Timeline: each Apache child's interpreters in the order mod_wsgi created them (seconds from the first):"
    )
    lines.append(format_timeline(doc["timeline"]))
    if doc["failure_causes"]:
        lines.append("Failures, by Host, interpreter and Celery config:")
        lines.append(format_failures(doc["failure_causes"]))
    for user, times in sorted((doc.get("refused_logins") or {}).items()):
        lines.append(f"RabbitMQ's own log: it refused the login of user {user!r} {times} times.")
    tracebacks = doc.get("tracebacks") or []
    if tracebacks:
        lines.append(f"Python raised in Apache ({len(tracebacks)} tracebacks in its log; the first):")
        lines += [f"  {line}" for line in tracebacks[0]["lines"]]
    lines.append(format_detector(doc.get("detector")))
    publishers = ", ".join(f"{where} x{n}" for where, n in sorted(broker["publishers"].items())) or "nothing"
    lines.append(
        f"The broker recorded (its firehose, task by task): {publishers}; the workers received by vhost: "
        f"{broker['receipts_by_vhost']} ({'agree' if broker['agrees'] else 'DISAGREE'})"
        + (
            f"; its firehose consumed again {broker['firehose_resumed_after']:.1f} s after the fault began: "
            f"{broker['not_judged']} requests sent before that are judged by the receipts alone"
            if broker.get("not_judged")
            else ""
        )
    )
    if doc.get("fault"):
        lines.append(f"Fault {format_fault(doc['fault'])}")
    lines.append(f"Versions measured: {format_versions(doc['versions'])}")
    if doc.get("apache_cost"):
        interpreters = sum(len(child["interpreters"]) for child in doc["timeline"])
        lines.append(f"Apache container: {format_cost(doc['apache_cost'], interpreters)}")
    lines += [f"Why: {sentence}" for sentence in doc.get("explanation", [])]
    return "\n".join(lines)


def format_fault(fault):
    """'broker-restart: restart rabbitmq +0.0 s to +1.6 s (exit 0); up -d --wait ... +1.6 s to +9.8 s (exit 0)'."""
    began = fault["began_at"] or 0
    steps = "; ".join(
        f"{s['command']} +{s['began_at'] - began:.1f} s to +{s['ended_at'] - began:.1f} s (exit {s['exit']})"
        for s in fault["steps"]
    )
    return f"{fault['fault']}: {steps or 'no step ran'}"


def format_detector(findings):
    """What the detector (envleak, in every interpreter) wrote in Apache's log."""
    if findings is None:
        return "Detector: not read"
    if not findings:
        return "Detector (envleak, in every interpreter; its lines in Apache's log): no interpreter flagged."
    lines = ["Detector (envleak, in every interpreter; its lines in Apache's log):"]
    lines += [f"  pid {f['pid']} interpreter {f['group']!r}: {f['variable']}={f['finding']}" for f in findings]
    return "\n".join(lines)


def format_cost(cost, interpreters):
    """'7 processes (4 of them mod_wsgi daemon processes), 4 Python interpreters, 212 MiB
    resident': resident memory (RSS) counts shared pages in every process and grows with the
    interpreters each process happened to load, so the counts are the yardstick."""
    extra = f" ({cost['daemon_processes']} of them mod_wsgi daemon processes)" if cost["daemon_processes"] else ""
    return (
        f"{cost['processes']} processes{extra}, {interpreters} Python interpreters, {cost['rss_mib']} MiB resident "
        "(RSS: shared pages counted in each process)"
    )


def format_times(entry, origin):
    def at(moment):
        return f"+{moment - origin:.3f}s" if moment is not None else "?"

    parts = [f"created {at(entry['created_at'])}"]
    if entry.get("logged_at") is not None:
        parts[0] += f" (mod_wsgi's log: {at(entry['logged_at'])})"
    parts.append(f"first ran {at(entry['first_ran_at'])}")
    writes = sorted((write["at"], name) for name, story in entry["variables"].items() for write in story["writes"])
    parts += [f"wrote {name} {at(moment)}" for moment, name in writes]
    return ", ".join(parts)


def format_inherited(entry):
    stories = [(name, story) for name, story in entry["variables"].items() if story["inherited"] is not None]
    verbs = {"kept": "kept it", "overwrote": "overwrote it", "unread": "never read", "changed": "changed under it"}
    text = (
        "inherited "
        + ", ".join(
            f"{name}={story['inherited']} ({verbs.get(story['outcome'], story['outcome'])})" for name, story in stories
        )
        if stories
        else "inherited nothing"
    )
    # Python 2.7: a value another interpreter wrote after this one started.
    changed = [
        name for name, story in entry["variables"].items() if story["outcome"] == "changed" and not story["inherited"]
    ]
    return text + "".join(f"; {name} changed under it after it started" for name in changed)


def format_timeline(children):
    lines = []
    for child in children:
        origin = story.child_origin(child)
        environ = {"shared": " (its interpreters' os.environ wrap one shared dict)", "own": ""}
        lines.append(f"  Apache child pid {child['pid']}{environ.get(child.get('environ_dict'), '')}:")
        for entry in child["interpreters"]:
            published = ", ".join(f"{where} x{n}" for where, n in sorted(entry["published_to"].items()))
            errors = ", ".join(f"{kind} x{n}" for kind, n in sorted(entry["errors"].items()))
            rows = ", ".join(
                f"{picture.whose(where)} database x{n}" for where, n in sorted(entry.get("rows_in", {}).items())
            )
            keys = ", ".join(
                f"{picture.whose(who)} key x{n}" for who, n in sorted(entry.get("signed_with", {}).items())
            )
            outcome = "; ".join(
                part
                for part in (
                    f"published {published}" if published else "",
                    f"rows in {rows}" if rows else "",
                    f"signed with {keys}" if keys else "",
                    errors,
                )
                if part
            )
            marks = []
            if entry["foreign_config"]:
                marks.append("ANOTHER APP'S CONFIG")
            if entry["wrong_settings"]:
                marks.append("ANOTHER APP'S SETTINGS")
            if entry.get("foreign_rows"):
                marks.append("ANOTHER APP'S DATABASE")
            if entry.get("foreign_signatures"):
                marks.append("ANOTHER APP'S KEY")
            used = entry["used"]
            gil = " (its own GIL)" if entry.get("gil") == "own" else ""
            lines += [
                f"    {entry['host_app']} in group {entry['application_group']!r}{gil}: {format_times(entry, origin)}",
                f"{'':8}{format_inherited(entry)}",
                (
                    f"{'':8}Celery used {story.describe_used(used['CELERY_CONFIG_MODULE'])}, Django "
                    f"{story.describe_used(used['DJANGO_SETTINGS_MODULE'])}"
                    if any(used.values())
                    else f"{'':8}served page views only"
                )
                + (f": {outcome}" if outcome else "")
                + (f"   <- {' AND '.join(marks)}" if marks else ""),
            ]
    return "\n".join(lines)


def format_failures(causes):
    return "\n".join(
        f"  {c['count']:>4} x {c['app']} request in pid {c['pid']} group {c['application_group']!r} "
        f"with config {c['config_module']}: {c['error_kind']}: {c['error'][:220]}"
        for c in causes
    )


DATABASE_COLUMNS = (("rows_own", "own db"), ("rows_other", "other db"), ("rows_refused", "refused"),
                    ("rows_none", "no row"), ("rows_named_other", "other name"), ("signed_own", "own key"),
                    ("signed_other", "other key"))  # fmt: skip


def format_table(summary):
    header = f"{'app':<6}{'sent':>7}{'own':>7}{'misrouted':>11}{'failed':>8}{'lost':>6}  errors by kind"
    lines = [header, "-" * len(header)]
    for app, row in [*summary["per_app"].items(), ("total", summary["totals"])]:
        errors = ", ".join(f"{kind}={n}" for kind, n in sorted(row["errors"].items())) or "-"
        lines.append(
            f"{app:<6}{row['sent']:>7}{row['consumed_own']:>7}{row['misrouted']:>11}"
            f"{row['failed']:>8}{row['lost']:>6}  {errors}"
        )
    if summary.get("database"):  # where PostgreSQL holds the rows, whose key signed the answers
        header = f"{'app':<6}" + "".join(f"{title:>11}" for _, title in DATABASE_COLUMNS)
        lines += ["", header, "-" * len(header)]
        for app, row in [*summary["per_app"].items(), ("total", summary["totals"])]:
            lines.append(f"{app:<6}" + "".join(f"{row[name]:>11}" for name, _ in DATABASE_COLUMNS))
    return "\n".join(lines)
