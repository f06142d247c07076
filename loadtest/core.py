"""One run, as Jepsen's core: give Apache fresh children in the spec's configuration, generate
the plan, apply it through the client (with the nemesis), record the history from every
witness that is not the web side's answer alone, check it, store and report it."""

import concurrent.futures
import datetime
import functools
import time
import uuid
from pathlib import Path

from loadtest import checker, client, database, generator, history, lab, report, xray
from loadtest.lab import UsageError
from loadtest.nemesis import Nemesis

REPORTS = lab.ROOT / "reports"
TIMEOUT = 15.0  # seconds per HTTP request
SETTLE = 30.0  # seconds to wait at most for the workers and the broker


def run(spec, lab_, report_dir=REPORTS, label="", quiet=False, verbose=False):
    """The whole run of `spec` on `lab_` (loadtest.compose.Lab, already up): returns the report
    document, also written under `report_dir` (its page, its JSON, latest.json)."""
    report_dir = Path(report_dir)
    report.check_writable(report_dir)
    report.forget_latest(report_dir)
    lab_.apply(spec)
    client.check_reachable(lab_.url)
    seed = spec.seed if spec.seed is not None else generator.new_seed()
    run_ = {
        **spec.record(),
        "seed": seed,
        "url": lab_.url,
        "run_id": uuid.uuid4().hex[:12],
        "first_hosts": generator.first_hosts(spec.first, lab.HOST_APPS, seed),
    }
    if not quiet:
        print(report.format_header(run_), flush=True)
    recorded = load(spec, lab_, run_, quiet)
    document = report.document(run_, recorded, checker.check(run_, recorded))
    report.store(document, report_dir, label)
    if not quiet:
        report.show(document, verbose)
    return document


def load(spec, lab_, run_, quiet):
    """Apply the plan (the page views first, alone), with the nemesis, then gather the history."""
    plan = generator.plan(list(lab.HOST_APPS), spec.requests, run_["seed"])
    records = history.Records(lab_.receipts_dir, run_["run_id"])
    compose = functools.partial(lab_.compose, spec, check=False, timeout=120)
    nemesis = Nemesis(spec.fault, spec.requests, spec.fault_at, compose)
    run_["started_at"] = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
    run_["load_began_at"] = time.time()
    started = time.monotonic()
    progress = client.Progress(len(plan), quiet=quiet)
    # A fresh Apache child's first requests usually come one at a time, and are page views.
    greetings = [client.greet(lab_.url, host, TIMEOUT) for host in run_["first_hosts"]]
    results = client.send_all(
        lab_.url, run_["run_id"], plan, spec.concurrency, spec.ramp_up, TIMEOUT, progress, nemesis.gate
    )
    run_["load_seconds"] = round(time.monotonic() - started, 3)
    nemesis.join()
    return observe(spec, lab_, run_, records, greetings, results, nemesis.record())


def observe(spec, lab_, run_, records, greetings, results, fault):
    """The history of the run: the workers' receipts and the broker's records (waited for
    until they settle), Apache's log (mod_wsgi's and the detector's lines, Python's
    tracebacks), RabbitMQ's log of refused logins, PostgreSQL's rows and the keys, and what the
    running containers say of themselves (asked after the load: asking before would create
    interpreters in the fresh children)."""
    problems, unread = [], {}
    since = run_["load_began_at"] - 1
    mgmt = history.ManagementAPI(lab_.mgmt_url, *lab_.mgmt_auth)
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        broker_versions = pool.submit(mgmt.versions)
        receipts, traces, complete = history.settle(records, results, SETTLE)
        # Read once the witnesses settled: the detector's lines of the last requests are in by then.
        log = pool.submit(lab_.logs, spec, "apache", since)
        try:
            versions, processes = xray.running(lab_.url, run_)
        except xray.Unanswered as exc:
            versions, processes = {}, []
            problems.append(str(exc))
        try:
            apache_log = log.result()
        except UsageError as exc:
            apache_log, unread["apache"] = "", str(exc)
        versions.update(broker_versions.result())
    tracebacks = history.python_tracebacks(apache_log)
    if tracebacks and problems:  # /xray/ could not answer: say what Python raised instead
        problems = [traceback_problem(tracebacks[0])]
    # Only this run's Apache children: the log since just before the load also holds the last
    # lines of the children the fresh start replaced.
    pids = {(result.get("response") or {}).get("pid") for result in results}
    pids |= {(greeting.get("answer") or {}).get("pid") for greeting in greetings}
    refused = refused_logins(spec, lab_, results, since, unread)
    witnessed = database_witnesses(spec, lab_, run_["run_id"], results, problems)
    return history.History(
        first_requests=greetings,
        results=results,
        receipts=receipts,
        traces=traces,
        firehose_events=records.firehose_events,
        fault=fault,
        interpreter_log=[line for line in history.interpreter_lines(apache_log) if line["pid"] in pids],
        detector=[finding for finding in history.envleak_lines(apache_log) if finding["pid"] in pids],
        refused_logins=refused,
        versions=versions,
        apache_processes=processes,
        apache_cost=xray.process_cost(processes) if processes else None,
        witnesses_complete_after=complete,
        tracebacks=tracebacks,
        problems=problems,
        unread_logs=unread,
        **witnessed,
    )


def traceback_problem(first):
    mine = (first["where"] or "").startswith("workshop/")
    return (
        f"Apache's Python raised {first['exception']}"
        + (f" at {first['where']}" if first["where"] else "")
        + (" (your code: the traceback is above)" if mine else " (the traceback is above)")
    )


def refused_logins(spec, lab_, results, since, unread):
    """Who RabbitMQ itself says it refused (its log names the user; librabbitmq's error does not)."""
    if not any(result.get("error_kind") == "login_refused" for result in results):
        return {}
    try:
        return history.refused_users(lab_.logs(spec, "rabbitmq", since))
    except UsageError as exc:
        unread["rabbitmq"] = str(exc)
        return {}


def database_witnesses(spec, lab_, run_id, results, problems):
    """Where PostgreSQL itself holds each request's row, and whose key really signed each
    answer (each app's SECRET_KEY in .env): never the app's word. Nothing without a database."""
    if not spec.postgres:
        return {}
    try:
        held = database.read_rows(functools.partial(lab_.compose, spec, check=False, timeout=60), run_id)
        keys = database.secret_keys(lab_.known)
    except UsageError as exc:
        problems.append(str(exc))
        return {}
    signers = {}
    for result in results:
        signed = (result.get("response") or {}).get("signed_request_id")
        if signed:
            good = database.unsigned(signed) == result["request_id"]
            signers[result["request_id"]] = (database.signer_of(signed, keys) if good else None) or "neither"
    return {
        "rows": database.where_rows_landed(held),
        # The connection's application_name, which libpq takes from PGAPPNAME in the process
        # environment: a key only app1's .env defines.
        "row_names": {row.request_id: row.application_name for row in held},
        "signers": signers,
        "key_fingerprints": {lab.fingerprint(key): app for app, key in keys.items()},
    }
