"""python -m loadtest: send a mix of app1/app2 requests, then referee what the workers got."""

import argparse
import concurrent.futures
import datetime
import json
import os
import queue
import random
import sys
import threading
import time
import uuid
from pathlib import Path

import requests

from loadtest import report
from loadtest.broker import ManagementAPI
from loadtest.errors import UsageError


def positive_int(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{value} is not positive")
    return value


def host_list(text):
    hosts = [h.strip() for h in text.split(",") if h.strip()]
    unknown = [h for h in hosts if h not in report.HOST_APPS]
    if unknown or not hosts:
        known = ", ".join(report.HOST_APPS)
        raise argparse.ArgumentTypeError(f"unknown host {','.join(unknown) or text!r} (known: {known})")
    return hosts


class OneLineParser(argparse.ArgumentParser):
    def error(self, message):
        self.exit(2, f"loadtest: {message}\n")


def parse_args(argv=None):
    env = os.environ
    parser = OneLineParser(prog="python -m loadtest", description=__doc__)
    parser.add_argument(
        "--mode",
        choices=("buggy", "fixed", "daemon"),
        required=True,
        help="what Apache runs (daemon: buggy code in WSGIDaemonProcess groups); "
        "decides which verdict counts as success",
    )
    parser.add_argument(
        "--scenario",
        choices=tuple(report.FAILING_BY_DESIGN),
        default="default",
        help="what Apache was started with (default)",
    )
    parser.add_argument("--requests", type=positive_int, default=300, help="requests to send (300)")
    parser.add_argument("--concurrency", type=positive_int, default=16, help="client threads (16)")
    parser.add_argument("--ramp-up", type=float, default=2.0, help="seconds over which the client threads start (2)")
    parser.add_argument("--seed", type=int, default=None, help="seed of the Host mix (random)")
    parser.add_argument(
        "--hosts",
        type=host_list,
        default=list(report.HOST_APPS),
        help="comma-separated Hosts to mix (app1.example.com,app2.example.com)",
    )
    parser.add_argument(
        "--url",
        default=f"http://127.0.0.1:{env.get('LAB_HTTP_PORT') or '8080'}",
        help="Apache's address (http://127.0.0.1:$LAB_HTTP_PORT)",
    )
    parser.add_argument(
        "--mgmt-url",
        default=f"http://127.0.0.1:{env.get('LAB_MGMT_PORT') or '15672'}",
        help="RabbitMQ management API (http://127.0.0.1:$LAB_MGMT_PORT)",
    )
    parser.add_argument("--mgmt-user", default=env.get("RABBITMQ_ADMIN_USER") or "admin")
    parser.add_argument("--mgmt-password", default=env.get("RABBITMQ_ADMIN_PASSWORD", ""))
    parser.add_argument(
        "--receipts-dir",
        type=Path,
        default=Path(env.get("LAB_RECEIPTS_DIR") or "var/receipts"),
        help="where the workers write their receipts (var/receipts)",
    )
    parser.add_argument("--report-dir", type=Path, default=Path("reports"), help="JSON reports (reports/)")
    parser.add_argument("--label", default="", help="extra word for the report's file name")
    parser.add_argument("--timeout", type=float, default=15.0, help="seconds per HTTP request (15)")
    parser.add_argument(
        "--settle", type=float, default=30.0, help="seconds to wait for the workers and the broker counters (30)"
    )
    parser.add_argument("--quiet", action="store_true", help="no progress display")
    args = parser.parse_args(argv)
    if args.timeout <= 0 or args.settle <= 0 or args.ramp_up < 0:
        parser.error("--timeout and --settle must be positive, --ramp-up not negative")
    return args


def check_environment(args, mgmt):
    """Unwritable report dir, unreachable URL, missing receipts dir: UsageError."""
    try:
        args.report_dir.mkdir(parents=True, exist_ok=True)
        probe = args.report_dir / f".write-test-{os.getpid()}"
        probe.write_text("")
        probe.unlink()
    except OSError as exc:
        raise UsageError(f"cannot write reports to {args.report_dir}: {exc.strerror}") from None
    try:
        requests.get(f"{args.url.rstrip('/')}/healthz", timeout=3).raise_for_status()
    except requests.RequestException as exc:
        raise UsageError(
            f"cannot reach Apache at {args.url} ({type(exc).__name__}); is the lab up? (make up)"
        ) from None
    mgmt.check()
    if not args.receipts_dir.is_dir():
        raise UsageError(f"receipts directory {args.receipts_dir} does not exist; is the lab up? (make up)")


class Progress:
    def __init__(self, total, quiet):
        self.total, self.quiet = total, quiet
        self.done = self.failed = 0
        self.lock = threading.Lock()
        self.tty = sys.stderr.isatty()
        self.last = 0.0

    def tick(self, ok):
        with self.lock:
            self.done += 1
            self.failed += 0 if ok else 1
            if self.quiet:
                return
            now = time.monotonic()
            if self.tty:  # redraw at most five times a second
                if now - self.last < 0.2 and self.done < self.total:
                    return
            elif self.done * 4 // self.total == (self.done - 1) * 4 // self.total:
                return  # without a terminal: one line per quarter
            self.last = now
            line = f"  sent {self.done}/{self.total}, failed {self.failed}"
            print(f"\r{line}" if self.tty else line, end="" if self.tty else "\n", file=sys.stderr, flush=True)
            if self.tty and self.done == self.total:
                print(file=sys.stderr)


def send_all(args, run_id, plan):
    progress = Progress(len(plan), args.quiet)

    def send(index, host):
        result = {"request_id": f"{run_id}-{index}", "host": host, "app": report.HOST_APPS[host], "ok": False}
        try:
            # A new connection per request, as many different clients would make: Apache
            # hands each to whichever child accepts it first.
            response = requests.post(
                f"{args.url.rstrip('/')}/enqueue/",
                headers={"Host": host, "Connection": "close"},
                json={"run_id": run_id, "request_id": result["request_id"]},
                timeout=args.timeout,
            )
        except requests.Timeout:
            result.update(error_kind=report.classify_error(exception="timeout"), error="client timeout")
        except requests.RequestException as exc:  # refused, reset, cut off mid-answer...
            result.update(
                error_kind=report.classify_error(exception="connection"), error=f"{type(exc).__name__}: {exc}"
            )
        else:
            try:
                body = response.json()
            except ValueError:
                body = {}
            if not isinstance(body, dict):
                body = {}
            result.update(status=response.status_code, response=body)
            if response.ok:
                result["ok"] = True
            else:
                text = body.get("error") or response.text[:300]
                result.update(error_kind=report.classify_error(response.status_code, text), error=text)
        progress.tick(result["ok"])
        return result

    work = queue.SimpleQueue()
    for item in enumerate(plan):
        work.put(item)
    results = [None] * len(plan)

    def client(number):
        # Ramp-up, as JMeter and Locust call it: client threads start one after another
        # over --ramp-up seconds, the way traffic comes back after a restart, instead of all
        # in the same millisecond.
        time.sleep(args.ramp_up * number / args.concurrency)
        while True:
            try:
                index, host = work.get_nowait()
            except queue.Empty:
                return
            results[index] = send(index, host)

    with concurrent.futures.ThreadPoolExecutor(max_workers=args.concurrency) as pool:
        list(pool.map(client, range(args.concurrency)))
    return results


class ReceiptReader:
    """Reads this run's receipts from the workers' files, each poll only what was appended
    since the last one; a line still being written waits for the next poll."""

    def __init__(self, receipts_dir, run_id):
        self.receipts_dir, self.run_id = receipts_dir, run_id
        # Start at the files' current ends: earlier runs' receipts are not this run's.
        self.offsets = {path: path.stat().st_size for path in receipts_dir.glob("*.jsonl")}
        self.receipts = []

    def poll(self):
        for path in sorted(self.receipts_dir.glob("*.jsonl")):
            with path.open("rb") as lines:
                lines.seek(self.offsets.get(path, 0))
                for line in lines:
                    if not line.endswith(b"\n"):
                        break
                    self.offsets[path] = self.offsets.get(path, 0) + len(line)
                    receipt = json.loads(line)
                    if receipt.get("run_id") == self.run_id:
                        self.receipts.append(receipt)
        return self.receipts


def settle(args, receipts_reader, results, mgmt, publishes_before):
    """Wait until the workers have received every published task and the broker's counters
    have caught up with them, or until --settle seconds have passed."""
    published = {r["request_id"] for r in results if r["ok"]}
    deadline = time.monotonic() + args.settle
    while True:
        receipts = receipts_reader.poll()
        publishes = mgmt.publish_deltas(publishes_before)
        by_vhost = report.receipts_by_vhost(receipts)
        done = published <= {r["request_id"] for r in receipts} and publishes == by_vhost
        if done or time.monotonic() > deadline:
            return receipts, publishes, by_vhost
        time.sleep(0.25)


def run(args):
    mgmt = ManagementAPI(args.mgmt_url, args.mgmt_user, args.mgmt_password)
    check_environment(args, mgmt)
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(1_000_000)
    rng = random.Random(seed)
    plan = [rng.choice(args.hosts) for _ in range(args.requests)]
    run_id = uuid.uuid4().hex[:12]

    print(
        f"loadtest: {args.mode} mode, scenario {args.scenario}, {args.requests} requests, "
        f"{args.concurrency} threads, seed {seed}, run {run_id}",
        file=sys.stderr,
    )
    publishes_before = mgmt.publish_counters()
    receipts_reader = ReceiptReader(args.receipts_dir, run_id)
    started_at = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
    started = time.monotonic()
    results = send_all(args, run_id, plan)
    load_seconds = time.monotonic() - started
    receipts, publishes, by_vhost = settle(args, receipts_reader, results, mgmt, publishes_before)

    summary = report.summarize(results, receipts)
    broker_agrees = publishes == by_vhost
    ok, line = report.verdict(args.mode, summary, broker_agrees, args.scenario)
    document = {
        "run_id": run_id,
        "mode": args.mode,
        "scenario": args.scenario,
        "seed": seed,
        "requests": args.requests,
        "concurrency": args.concurrency,
        "hosts": args.hosts,
        "url": args.url,
        "started_at": started_at,
        "load_seconds": round(load_seconds, 3),
        "verdict": line,
        "success": ok,
        "summary": summary,
        "broker": {"publishes_by_vhost": publishes, "receipts_by_vhost": by_vhost, "agrees": broker_agrees},
        "timeline": report.timeline(results),
        "failure_causes": report.failure_causes(results),
        "results": results,
        "receipts": receipts,
    }
    stamp = datetime.datetime.now(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")
    scenario = "" if args.scenario == "default" else args.scenario
    name = "-".join(part for part in (stamp, args.mode, scenario, args.label, run_id) if part)
    path = args.report_dir / f"{name}.json"
    path.write_text(json.dumps(document, indent=2, sort_keys=True) + "\n")
    document["report_path"] = str(path)

    print()
    print(report.format_table(summary))
    print()
    print("Timeline: each Apache child's interpreters in creation order (from the web side's answers):")
    print(report.format_timeline(document["timeline"]))
    if document["failure_causes"]:
        print("Failures, by Host, interpreter and Celery config:")
        print(report.format_failures(document["failure_causes"]))
    print(
        f"Broker publish counters by vhost: {publishes}; worker receipts by vhost: {by_vhost}"
        f" ({'agree' if broker_agrees else 'DISAGREE'})"
    )
    print(f"Report: {path}")
    print(line)
    return document


def main(argv=None):
    try:
        args = parse_args(argv)
        document = run(args)
    except UsageError as exc:
        print(f"loadtest: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("loadtest: interrupted", file=sys.stderr)
        return 130
    return 0 if document["success"] else 1
