"""python -m loadtest: send a mix of app1/app2 requests, then referee what the workers got.

The run is a short pipeline, as Jepsen's: generate the plan, apply it through the client,
read the history (receipts, broker counters), check it, then store and report.
"""

import argparse
import datetime
import os
import sys
import time
import uuid
from pathlib import Path

from loadtest import checker, client, generator, history, lab, report, xray


def positive(kind):
    def parse(text):
        try:
            value = kind(text)
        except ValueError:
            noun = "whole number" if kind is int else "number"
            raise argparse.ArgumentTypeError(f"{text!r} is not a {noun}") from None
        if value <= 0:
            raise argparse.ArgumentTypeError(f"{value} is not positive")
        return value

    return parse


def host_list(text):
    hosts = [h.strip() for h in text.split(",") if h.strip()]
    unknown = [h for h in hosts if h not in lab.HOST_APPS]
    if unknown or not hosts:
        raise argparse.ArgumentTypeError(
            f"unknown host {','.join(unknown) or text!r} (known: {', '.join(lab.HOST_APPS)})"
        )
    return hosts


class OneLineParser(argparse.ArgumentParser):
    def error(self, message):
        self.exit(2, f"loadtest: {message}\n")


def parse_args(argv=None):
    env = os.environ
    parser = OneLineParser(prog="python -m loadtest", description=__doc__)
    add = parser.add_argument
    add("--code", choices=lab.CODES, required=True, help="the WSGI entry Apache runs (decides the expected verdict)")
    add("--process-model", choices=lab.PROCESS_MODELS, default=lab.PROCESS_MODELS[0], help="mod_wsgi's process model")
    add("--scenario", choices=lab.SCENARIOS, default=lab.SCENARIOS[0], help="what Apache was started with")
    add("--stack", choices=lab.STACKS, default=lab.STACKS[0], help="the Debian release of the running images")
    add("--requests", type=positive(int), default=300, help="requests to send (300)")
    add("--concurrency", type=positive(int), default=16, help="client threads (16)")
    add("--ramp-up", type=float, default=0.5, help="seconds over which the client threads start (0.5)")
    add("--seed", type=int, default=None, help="seed of the Host mix (random)")
    add("--hosts", type=host_list, default=list(lab.HOST_APPS), help="comma-separated Hosts to mix (both)")
    add("--url", default="http://127.0.0.1:8080", help="Apache's address")
    add("--mgmt-url", default="http://127.0.0.1:15672", help="RabbitMQ's management API")
    add("--mgmt-user", default=env.get("RABBITMQ_ADMIN_USER") or "admin", help="($RABBITMQ_ADMIN_USER)")
    add("--mgmt-password", default=env.get("RABBITMQ_ADMIN_PASSWORD", ""), help="($RABBITMQ_ADMIN_PASSWORD)")
    add("--receipts-dir", type=Path, default=Path("var/receipts"), help="where the workers write their receipts")
    add("--report-dir", type=Path, default=Path("reports"), help="where reports are written (reports/)")
    add("--label", default="", help="extra word for the report's file name")
    add("--timeout", type=positive(float), default=15.0, help="seconds per HTTP request (15)")
    add("--settle", type=positive(float), default=30.0, help="seconds to wait for the workers and the broker (30)")
    add("--quiet", action="store_true", help="no progress display")
    args = parser.parse_args(argv)
    if args.ramp_up < 0:
        parser.error("argument --ramp-up: must not be negative")
    args.url, args.mgmt_url = args.url.rstrip("/"), args.mgmt_url.rstrip("/")
    return args


def run(args):
    """One run, from plan to stored report. Returns the report document."""
    report.check_writable(args.report_dir)
    client.check_reachable(args.url)
    mgmt = history.ManagementAPI(args.mgmt_url, args.mgmt_user, args.mgmt_password)
    seed = args.seed if args.seed is not None else generator.new_seed()
    plan = generator.plan(args.hosts, args.requests, seed)
    run_id = uuid.uuid4().hex[:12]
    expected = checker.expected_kind(args.code, args.process_model)
    say = (lambda *_: None) if args.quiet else (lambda line: print(line, file=sys.stderr, flush=True))
    say(
        f"loadtest: {args.code} code, {args.process_model} mod_wsgi, scenario {args.scenario}, stack {args.stack}, "
        f"{args.requests} requests, {args.concurrency} threads, seed {seed}, run {run_id}; expecting {expected}"
    )

    publishes_before = mgmt.quiet_publish_counters()
    receipts_reader = history.ReceiptReader(args.receipts_dir, run_id)
    started_at = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
    started = time.monotonic()
    progress = client.Progress(len(plan), quiet=args.quiet)
    results = client.send_all(args.url, run_id, plan, args.concurrency, args.ramp_up, args.timeout, progress)
    load_seconds = round(time.monotonic() - started, 3)
    receipts, publishes, by_vhost = history.settle(receipts_reader, results, mgmt, publishes_before, args.settle)
    # Asked after the load: asking before would create interpreters in the fresh children.
    measured, started_with = xray.running(args.url)
    measured.update(mgmt.versions())
    for name, value in started_with.items():
        if value != getattr(args, name):
            raise lab.UsageError(f"Apache runs {name} {value!r}, not {getattr(args, name)!r}; start it with make up")

    summary = checker.summarize(results, receipts)
    broker = {"publishes_by_vhost": publishes, "receipts_by_vhost": by_vhost, "agrees": publishes == by_vhost}
    verdict = checker.verdict(expected, summary, broker["agrees"], args.scenario)
    asked = {name: getattr(args, name) for name in ("code", "process_model", "scenario", "stack", "seed")}
    asked.update(seed=seed, run_id=run_id, expected=expected, requests=args.requests, concurrency=args.concurrency)
    asked.update(ramp_up=args.ramp_up, hosts=args.hosts, url=args.url, started_at=started_at, load_seconds=load_seconds)
    doc = report.document(
        asked, measured, results, receipts, summary, broker, verdict, checker.timeline(results),
        checker.failure_causes(results),
    )  # fmt: skip
    paths = report.write(doc, args.report_dir, args.label)
    doc["report_path"] = str(paths[0])
    print(report.format_text(doc))
    print("Report: " + ", ".join(str(path) for path in paths))
    print(verdict.line)
    return doc


def main(argv=None):
    try:
        doc = run(parse_args(argv))
    except lab.UsageError as exc:
        print(f"loadtest: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("loadtest: interrupted", file=sys.stderr)
        return 130
    return checker.Verdict(**doc["verdict"]).exit_status
