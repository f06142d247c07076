"""One run, as Jepsen's core: give Apache fresh children in the spec's configuration, generate
the plan, apply it through the client (with the nemesis), record the history from every
witness that is not the web side's answer alone, check it, store and report it."""

import concurrent.futures
import dataclasses
import datetime
import functools
import time
import uuid
from pathlib import Path

from loadtest import checker, client, database, generator, history, lab, phrasebook, report, xray
from loadtest.document import Document, Run
from loadtest.lab import UsageError
from loadtest.nemesis import Nemesis

REPORTS = lab.ROOT / "reports"
TIMEOUT = 15.0  # seconds per HTTP request
SETTLE = 30.0  # seconds to wait at most for the workers and the broker


def run(spec, lab_, report_dir=REPORTS, label="", quiet=False, verbose=False):
    """The whole run of `spec` on `lab_` (loadtest.compose.Lab, already up): returns its
    document (loadtest.document), also written under `report_dir` (its page, its JSON, latest.json)."""
    report_dir = Path(report_dir)
    report.check_writable(report_dir)
    report.forget_latest(report_dir)
    lab_.apply(spec)
    client.check_reachable(lab_.url)
    seed = spec.seed if spec.seed is not None else generator.new_seed()
    run_id = uuid.uuid4().hex[:12]
    first_hosts = tuple(generator.first_hosts(spec.first, lab.HOST_APPS, seed))
    if not quiet:
        print(phrasebook.header(spec, seed, first_hosts, run_id), flush=True)
    asked = Run(spec=spec, seed=seed, run_id=run_id, url=lab_.url, first_hosts=first_hosts)
    asked, recorded = load(asked, lab_, quiet)
    document = report.store(Document(asked, recorded, checker.check(asked, recorded)), report_dir, label)
    if not quiet:
        report.show(document, verbose)
    return document


def load(asked, lab_, quiet):
    """Apply the plan (the page views first, alone), with the nemesis, then gather the history.
    Returns the run with its times, and the history."""
    spec = asked.spec
    plan = generator.plan(list(lab.HOST_APPS), spec.requests, asked.seed)
    records = history.Records(lab_.receipts_dir, asked.run_id)
    compose = functools.partial(lab_.compose, spec, check=False, timeout=120)
    nemesis = Nemesis(spec.fault, spec.requests, spec.fault_at, compose)
    started_at = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
    began, started = time.time(), time.monotonic()
    progress = client.Progress(len(plan), quiet=quiet)
    # A fresh Apache child's first requests usually come one at a time, and are page views.
    greetings = tuple(client.greet(lab_.url, host, TIMEOUT) for host in asked.first_hosts)
    results = client.send_all(lab_.url, asked.run_id, plan, spec.concurrency, spec.ramp_up, TIMEOUT, progress,
                              nemesis.gate)  # fmt: skip
    asked = dataclasses.replace(asked, started_at=started_at, load_began_at=began,
                                load_seconds=round(time.monotonic() - started, 3))  # fmt: skip
    nemesis.join()
    return asked, observe(asked, lab_, records, greetings, results, nemesis.record())


def observe(asked, lab_, records, greetings, results, fault):
    """The history of the run: the workers' receipts and the broker's records (waited for
    until they settle), Apache's log (mod_wsgi's and the detector's lines, Python's
    tracebacks), RabbitMQ's log of refused logins, PostgreSQL's rows and the keys, and what the
    running containers say of themselves (asked after the load: asking before would create
    interpreters in the fresh children)."""
    spec, problems, unread = asked.spec, [], {}
    since = asked.load_began_at - 1
    mgmt = history.ManagementAPI(lab_.mgmt_url, *lab_.mgmt_auth)
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        broker_versions = pool.submit(mgmt.versions)
        receipts, traces, complete = history.settle(records, results, SETTLE)
        # Read once the witnesses settled: the detector's lines of the last requests are in by then.
        log = pool.submit(lab_.logs, spec, spec.web.service, since)
        try:
            versions, processes = xray.running(lab_.url, spec)
        except xray.Unanswered as exc:
            versions, processes = {}, ()
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
    pids = {result.answer.pid for result in results if result.answer}
    pids |= {greeting.answer.pid for greeting in greetings if greeting.answer}
    refused = refused_logins(spec, lab_, results, since, unread)
    witnessed = database_witnesses(spec, lab_, asked.run_id, results, problems)
    return history.History(
        first_requests=greetings,
        results=results,
        receipts=receipts,
        traces=traces,
        firehose_events=records.firehose_events,
        fault=fault,
        interpreter_log=tuple(line for line in history.interpreter_lines(apache_log, spec.server) if line.pid in pids),
        detector=tuple(finding for finding in history.envleak_lines(apache_log) if finding.pid in pids),
        refused_logins=refused,
        versions=versions,
        apache_processes=processes,
        apache_cost=xray.process_cost(processes) if processes else None,
        witnesses_complete_after=complete,
        tracebacks=tuple(tracebacks),
        problems=tuple(problems),
        unread_logs=unread,
        **witnessed,
    )


def traceback_problem(first):
    mine = (first.where or "").startswith("workshop/")
    return (
        f"Apache's Python raised {first.exception}"
        + (f" at {first.where}" if first.where else "")
        + (" (your code: the traceback is above)" if mine else " (the traceback is above)")
    )


def refused_logins(spec, lab_, results, since, unread):
    """Who RabbitMQ itself says it refused (its log names the user; librabbitmq's error does not)."""
    if not any(result.error_kind == "login_refused" for result in results):
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
        signed = result.answer.signed_request_id if result.answer else None
        if signed:
            good = database.unsigned(signed) == result.request_id
            signers[result.request_id] = (database.signer_of(signed, keys) if good else None) or "neither"
    return {
        "rows": {request_id: tuple(places) for request_id, places in database.where_rows_landed(held).items()},
        # The connection's application_name, which libpq takes from PGAPPNAME in the process
        # environment: a key only app1's .env defines.
        "row_names": {row.request_id: row.application_name for row in held},
        "signers": signers,
        "key_fingerprints": {lab.fingerprint(key): app for app, key in keys.items()},
    }
