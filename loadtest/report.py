"""The report: the run stored as data first (a JSON document under reports/), then rendered
from that data as text for the terminal (and as an HTML page with its picture)."""

import datetime
import json
import os

from loadtest import checker
from loadtest.lab import UsageError
from loadtest.report_html import write_index, write_run_page

VERSION_NAMES = ("python", "mod_wsgi", "apache", "rabbitmq", "erlang", "celery", "kombu", "django", "librabbitmq")


def document(run, versions, results, receipts, summary, broker, verdict, timeline, failure_causes, explanation):
    """The stored form of a run. `run` holds what was asked (code, process model, scenario,
    stack, seed, counts, url, run id, start time, load seconds)."""
    return {
        **run,
        "versions": versions,
        "verdict": verdict.as_dict(),
        "summary": summary,
        "broker": broker,
        "timeline": timeline,
        "failure_causes": failure_causes,
        "explanation": explanation,
        "results": results,
        "receipts": receipts,
    }


def check_writable(report_dir):
    try:
        report_dir.mkdir(parents=True, exist_ok=True)
        probe = report_dir / f".write-test-{os.getpid()}"
        probe.write_text("")
        probe.unlink()
    except OSError as exc:
        raise UsageError(f"cannot write reports to {report_dir}: {exc.strerror}") from None


def write_and_print(doc, report_dir, label=""):
    """Store the JSON document, render it, print the text with the verdict last. Returns
    the JSON's path."""
    json_path = write_json(doc, report_dir, label)
    html_path, png_path = write_run_page(doc, json_path)
    write_index(report_dir)
    paths = [html_path, json_path, png_path]
    print(format_text(doc))
    print("Report: " + ", ".join(str(path) for path in paths))
    print(doc["verdict"]["line"])
    return str(json_path)


def write_json(doc, report_dir, label=""):
    stamp = datetime.datetime.now(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")
    parts = (stamp, doc["stack"], doc["code"], doc["process_model"], doc["scenario"], label, doc["run_id"])
    skip = ("embedded", "default", "")
    path = report_dir / ("-".join(part for part in parts if part not in skip) + ".json")
    path.write_text(json.dumps(doc, indent=2, sort_keys=True) + "\n")
    return path


def format_header(run):
    fault = "" if run["fault"] == "none" else f", fault {run['fault']}"
    return (
        f"loadtest: {run['code']} code, {run['process_model']} mod_wsgi, scenario {run['scenario']}, "
        f"stack {run['stack']}{fault}, {run['requests']} requests, {run['concurrency']} threads, seed {run['seed']}, "
        f"run {run['run_id']}; expecting {run['expected']}"
    )


def format_versions(versions):
    return ", ".join(f"{name} {versions[name]}" for name in VERSION_NAMES if versions.get(name)) or "unknown"


def format_text(doc):
    """Everything the terminal shows after the load, the verdict last."""
    broker = doc["broker"]
    lines = ["", format_table(doc["summary"]), ""]
    lines.append("Timeline: each Apache child's interpreters in creation order (from the web side's answers):")
    lines.append(format_timeline(doc["timeline"]))
    if doc["failure_causes"]:
        lines.append("Failures, by Host, interpreter and Celery config:")
        lines.append(format_failures(doc["failure_causes"]))
    lines.append(
        f"Broker publish counters by vhost: {broker['publishes_by_vhost']}; worker receipts by vhost: "
        f"{broker['receipts_by_vhost']} ({'agree' if broker['agrees'] else 'DISAGREE'})"
    )
    if broker.get("restarted"):
        lines.append("The broker restarted during the run: its counters were compared for what came after.")
    if doc.get("fault"):
        fault = doc["fault"]
        took = (fault["ended_at"] or fault["began_at"]) - fault["began_at"]
        steps = "; ".join(f"{step['command']} (exit {step['exit']})" for step in fault["steps"])
        lines.append(f"Fault {fault['fault']}: {took:.1f} s, {steps}")
    lines.append(f"Versions measured: {format_versions(doc['versions'])}")
    if doc.get("apache_processes"):
        lines.append(f"Apache container: {format_processes(doc['apache_processes'])}")
    lines += [f"Why: {sentence}" for sentence in doc.get("explanation", [])]
    return "\n".join(lines)


def format_processes(processes):
    """'7 processes, 212 MiB resident (RSS; 4 of them mod_wsgi daemon processes)'."""
    cost = checker.process_cost(processes)
    extra = f"; {cost['daemon_processes']} of them mod_wsgi daemon processes" if cost["daemon_processes"] else ""
    return f"{cost['processes']} processes, {cost['rss_mib']} MiB resident (RSS{extra})"


def format_timeline(children):
    lines = []
    for child in children:
        lines.append(f"  Apache child pid {child['pid']}:")
        first = child["interpreters"][0]["created_at"] or 0
        for entry in child["interpreters"]:
            inherited = ", ".join(f"{k}={v}" for k, v in sorted(entry["inherited"].items())) or "nothing"
            published = ", ".join(f"{where} x{n}" for where, n in sorted(entry["published_to"].items()))
            errors = ", ".join(f"{kind} x{n}" for kind, n in sorted(entry["errors"].items()))
            outcome = "; ".join(part for part in (f"published {published}" if published else "", errors) if part)
            mark = "   <- ANOTHER APP'S CONFIG" if entry["foreign_config"] else ""
            lines.append(
                f"    +{(entry['created_at'] or first) - first:6.3f}s  {entry['host_app']} in group "
                f"{entry['application_group']!r}: inherited {inherited}"
            )
            lines.append(
                f"{'':14}config {entry['config_module']}, settings {entry['django_settings']}: {outcome}{mark}"
            )
    return "\n".join(lines)


def format_failures(causes):
    return "\n".join(
        f"  {c['count']:>4} x {c['app']} request in pid {c['pid']} group {c['application_group']!r} "
        f"with config {c['config_module']}: {c['error_kind']}: {c['error'][:220]}"
        for c in causes
    )


def format_table(summary):
    header = f"{'app':<6}{'sent':>7}{'own':>7}{'misrouted':>11}{'failed':>8}{'lost':>6}  errors by kind"
    lines = [header, "-" * len(header)]
    for app, row in [*summary["per_app"].items(), ("total", summary["totals"])]:
        errors = ", ".join(f"{kind}={n}" for kind, n in sorted(row["errors"].items())) or "-"
        lines.append(
            f"{app:<6}{row['sent']:>7}{row['consumed_own']:>7}{row['misrouted']:>11}"
            f"{row['failed']:>8}{row['lost']:>6}  {errors}"
        )
    return "\n".join(lines)
