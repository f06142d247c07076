"""python -m loadtest: send a mix of app1/app2 requests, then referee what the workers got.
A short pipeline, as Jepsen's: plan, client (and nemesis), history, checker, report."""

import argparse
import concurrent.futures
import datetime
import os
import sys
import time
import uuid
from pathlib import Path

from loadtest import checker, client, database, generator, history, lab, report, xray
from loadtest.lab import DEFAULTS, UsageError
from loadtest.nemesis import Nemesis

# What a run's report records of what was asked.
RECORDED = (
    "code", "process_model", "scenario", "stack", "platform", "transport", "mod_wsgi", "gil", "fault", "first",
    "requests", "concurrency", "ramp_up", "fix", "url",
)  # fmt: skip


def number(kind, zero=False, below=None):
    """An argument type: a positive `kind` (or zero), below `below` if given; else one line."""

    def parse(text):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a {'whole ' * (kind is int)}number") from None
        if value < 0 or value == 0 and not zero or below is not None and value >= below:
            raise argparse.ArgumentTypeError(f"{value} is not {'positive' if below is None else f'below {below}'}")
        return value

    return parse


class OneLineParser(argparse.ArgumentParser):
    def error(self, message):
        self.exit(2, f"loadtest: {message}\n")


def parse_args(argv=None, env=os.environ):
    parser = OneLineParser(prog="python -m loadtest", description=__doc__)
    add = parser.add_argument
    add("--code", choices=lab.CODES, required=True, help="the WSGI entry Apache runs (decides the expected verdict)")
    add("--process-model", choices=lab.PROCESS_MODELS, default=lab.PROCESS_MODELS[0], help="mod_wsgi's process model")
    add("--scenario", choices=lab.SCENARIOS, default=lab.SCENARIOS[0], help="what Apache was started with")
    add("--stack", choices=lab.STACKS, default=lab.STACKS[0], help="the Debian release of the running images")
    add("--platform", choices=lab.PLATFORMS, default=lab.HOST_PLATFORM, help="the images' architecture")
    add("--transport", choices=lab.TRANSPORTS, default=lab.TRANSPORTS[0], help="how the web side publishes")
    add("--mod-wsgi", choices=lab.MOD_WSGIS, default=lab.MOD_WSGIS[0], help="the stack's mod_wsgi, or 6.1.1")
    add("--gil", choices=lab.GILS, default=lab.GILS[0], help="one GIL for all interpreters, or one each")
    add("--requests", type=number(int), default=DEFAULTS["requests"], help="requests to send")
    add("--concurrency", type=number(int), default=DEFAULTS["concurrency"], help="client threads")
    add(
        "--ramp-up",
        type=number(float, zero=True),
        default=DEFAULTS["ramp_up"],
        help="seconds to start all threads over",
    )
    add("--seed", type=int, default=None, help="seed of the Host mix (random)")
    known = lab.settings(env)
    add("--url", default=lab.url_of("LAB_HTTP_PORT", env), help="Apache's address ($LAB_HTTP_PORT, .env)")
    add("--mgmt-url", default=lab.url_of("LAB_MGMT_PORT", env), help="the management API ($LAB_MGMT_PORT, .env)")
    add("--mgmt-user", default=known.get("RABBITMQ_ADMIN_USER") or "admin", help="($RABBITMQ_ADMIN_USER, .env)")
    add("--mgmt-password", default=known.get("RABBITMQ_ADMIN_PASSWORD", ""), help="($RABBITMQ_ADMIN_PASSWORD, .env)")
    add("--receipts-dir", type=Path, default=Path("var/receipts"), help="where the workers write their receipts")
    add("--report-dir", type=Path, default=Path("reports"), help="where reports are written (reports/)")
    add("--label", default="", help="extra word for the report's file name")
    add("--timeout", type=number(float), default=15.0, help="seconds per HTTP request (15)")
    add("--settle", type=number(float), default=30.0, help="seconds to wait at most for the workers and the broker")
    add("--fault", choices=lab.FAULTS, default=lab.FAULTS[0], help="what the nemesis does during the load")
    add(
        "--fault-at",
        type=number(float, below=1),
        default=DEFAULTS["fault_at"],
        help="when: the fraction of requests sent",
    )
    add("--compose", default="docker compose", help="the lab's Compose project (the nemesis, Apache's log)")
    add("--first", choices=lab.FIRSTS, default=lab.FIRSTS[0], help="the Host asked first, alone (burst: none)")
    add("--fix", default="", help="the sample fix Apache runs (workshop/fixes/<name>; CODE workspace only)")
    add("--any-verdict", action="store_true", help="exit 0 for any verdict (make try-fix: the verdict is the answer)")
    add("--quiet", action="store_true", help="no progress display")
    args = parser.parse_args(argv)
    args.url, args.mgmt_url = args.url.rstrip("/"), args.mgmt_url.rstrip("/")
    return args


def run(args):
    """One run, as Jepsen's: generate the plan, apply it (the client, with the nemesis), record
    the history, check it, store and report. Returns the report document."""
    report.check_writable(args.report_dir)
    report.forget_latest(args.report_dir)
    client.check_reachable(args.url)
    mgmt = history.ManagementAPI(args.mgmt_url, args.mgmt_user, args.mgmt_password)
    seed = args.seed if args.seed is not None else generator.new_seed()
    first = generator.first_hosts(args.first, lab.HOST_APPS, seed)
    plan = generator.plan(list(lab.HOST_APPS), args.requests, seed)
    run = {name: getattr(args, name) for name in RECORDED}
    run.update(seed=seed, run_id=uuid.uuid4().hex[:12], expected=checker.expected_kind(args.code, args.process_model))
    run["first_hosts"] = first
    if not args.quiet:
        print(report.format_header(run), file=sys.stderr, flush=True)

    records = history.Records(args.receipts_dir, run["run_id"])
    nemesis = Nemesis(args.fault, args.requests, args.fault_at, args.compose)
    run["started_at"] = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
    run["load_began_at"] = time.time()
    started = time.monotonic()
    progress = client.Progress(len(plan), quiet=args.quiet)
    # A fresh Apache child's first requests usually come one at a time, and are page views.
    greetings = [client.greet(args.url, host, args.timeout) for host in first]
    results = client.send_all(
        args.url, run["run_id"], plan, args.concurrency, args.ramp_up, args.timeout, progress, nemesis.gate
    )
    run["load_seconds"] = round(time.monotonic() - started, 3)
    nemesis.join()
    recorded = observe(args, run, records, greetings, results, nemesis.record(), mgmt)
    document = report.document(run, recorded, checker.check(run, recorded))
    report.write_and_print(document, args.report_dir, args.label)
    return document


def observe(args, run, records, greetings, results, fault, mgmt):
    """The history of the run, from every witness that is not the web side's answer alone: the
    workers' receipts and the broker's records (waited for until they settle), mod_wsgi's and
    the detector's lines in Apache's log, RabbitMQ's log of refused logins, and what the
    running containers say of themselves (asked after the load: asking before would create
    interpreters in the fresh children)."""
    problems, unread = [], {}
    # Beside the witnesses' settling, in the background: the broker's version, then Apache's log.
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        broker_versions = pool.submit(mgmt.versions)
        receipts, traces, complete = history.settle(records, results, args.settle)
        # Read once the witnesses settled: the detector's lines of the last requests are in by then.
        log = pool.submit(history.service_log, args.compose, "apache", run["load_began_at"] - 1)
        try:
            versions, processes = xray.running(args.url, run)
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
        first = tracebacks[0]
        mine = (first["where"] or "").startswith("workshop/")
        problems = [
            f"Apache's Python raised {first['exception']}"
            + (f" at {first['where']}" if first["where"] else "")
            + (" (your code: the traceback is above)" if mine else " (the traceback is above)")
        ]
    # Only this run's Apache children: the log since just before the load also holds the last
    # lines of the children the fresh start replaced.
    pids = {(result.get("response") or {}).get("pid") for result in results}
    pids |= {(greeting.get("answer") or {}).get("pid") for greeting in greetings}
    # Who RabbitMQ itself says it refused (its log names the user; librabbitmq's error does not).
    refused = {}
    if any(result.get("error_kind") == "login_refused" for result in results):
        try:
            refused = history.refused_users(history.service_log(args.compose, "rabbitmq", run["load_began_at"] - 1))
        except UsageError as exc:
            unread["rabbitmq"] = str(exc)
    rows = signers = row_names = None
    fingerprints = {}
    if run["scenario"] in lab.POSTGRES_SCENARIOS:
        # Where PostgreSQL itself holds each request's row, and whose key really signed each
        # answer (each app's SECRET_KEY in .env): never the app's word.
        try:
            held = database.read_rows(args.compose, run["run_id"])
            rows = database.where_rows_landed(held)
            # The connection's application_name, which libpq takes from PGAPPNAME in the process
            # environment: a key only app1's .env defines.
            row_names = {row.request_id: row.application_name for row in held}
            keys = database.secret_keys()
        except UsageError as exc:
            problems.append(str(exc))
        else:
            fingerprints = {lab.fingerprint(key): app for app, key in keys.items()}
            signers = {}
            for result in results:
                signed = (result.get("response") or {}).get("signed_request_id")
                if signed:
                    good = database.unsigned(signed) == result["request_id"]
                    signers[result["request_id"]] = (database.signer_of(signed, keys) if good else None) or "neither"
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
        rows=rows,
        row_names=row_names,
        signers=signers,
        key_fingerprints=fingerprints,
        problems=problems,
        unread_logs=unread,
    )


def main(argv=None):
    try:
        args = parse_args(argv)
        doc = run(args)
    except UsageError as exc:
        print(f"loadtest: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("loadtest: interrupted", file=sys.stderr)
        return 130
    verdict = checker.Verdict(**doc["verdict"])
    if args.any_verdict and verdict.kind != "INCONCLUSIVE":
        return 0
    return verdict.exit_status
