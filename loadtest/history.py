"""The history: what the run left behind, read from the witnesses that are not the web side.
The workers' receipts (one JSON line per task a worker really received, with the vhost of its
own connection), RabbitMQ's per-vhost publish counters (management API), and mod_wsgi's own
log lines ("Create interpreter", with Apache's microsecond timestamp)."""

import datetime
import json
import re
import shlex
import subprocess
import time
from collections import Counter

import requests

from loadtest.lab import APPS, UsageError


class ManagementAPI:
    """RabbitMQ's management API: the broker's own count of what was published per vhost."""

    def __init__(self, url, user, password):
        self.url = url.rstrip("/")
        self.auth = (user, password)

    def _get(self, path):
        try:
            response = requests.get(f"{self.url}/api/{path}", auth=self.auth, timeout=5)
        except requests.RequestException as exc:
            raise UsageError(f"cannot reach the RabbitMQ management API at {self.url} ({type(exc).__name__})") from None
        if response.status_code == 401:
            raise UsageError(f"the management API refused user {self.auth[0]!r}; check RABBITMQ_ADMIN_* in .env")
        response.raise_for_status()
        return response.json()

    def node_started_at(self, timeout=10.0):
        """When the broker node (re)started, from its uptime: a restart resets its counters.
        (Right after a start the node's stats may not carry the uptime yet: ask again.)"""
        deadline = time.monotonic() + timeout
        while True:
            uptime = next((node.get("uptime") for node in self._get("nodes")), None)
            if uptime is not None or time.monotonic() > deadline:
                return round(time.time() - uptime / 1000, 1) if uptime is not None else None
            time.sleep(0.2)

    def versions(self):
        overview = self._get("overview")
        return {"rabbitmq": overview.get("rabbitmq_version"), "erlang": overview.get("erlang_version")}

    def _vhost_stats(self):
        return {app: self._get(f"vhosts/{app}").get("message_stats") or {} for app in APPS}

    def publish_counters(self):
        """Messages published into each app's vhost since the broker started."""
        return {app: stats.get("publish", 0) for app, stats in self._vhost_stats().items()}

    def quiet_publish_counters(self, settle_seconds=0.6, timeout=10.0):
        """The counters once they have stopped moving. The API refreshes them every
        collect_statistics_interval (rabbitmq.conf: 0.5 s), so a baseline taken while they
        still catch up with earlier traffic would count it in this run."""
        stats = self._vhost_stats()
        counters = {app: s.get("publish", 0) for app, s in stats.items()}
        if not any((s.get("publish_details") or {}).get("rate") for s in stats.values()):
            return counters
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            time.sleep(settle_seconds)
            now = self.publish_counters()
            if now == counters:
                return now
            counters = now
        return counters

    def publish_deltas(self, before):
        now = self.publish_counters()
        return {app: now[app] - before[app] for app in APPS}


class ReceiptReader:
    """Reads this run's receipts from the workers' files, each poll only what was appended
    since the last one; a line still being written waits for the next poll."""

    def __init__(self, receipts_dir, run_id):
        if not receipts_dir.is_dir():
            raise UsageError(f"receipts directory {receipts_dir} does not exist; is the lab up? (make up)")
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


def receipts_by_vhost(receipts):
    """Tasks received per vhost, each task once: a redelivery is not a second publish."""
    counts = Counter(vhost for _, vhost in {(r["request_id"], r["worker_vhost"]) for r in receipts})
    return {app: counts.get(app, 0) for app in APPS}


class Baseline:
    """The broker's counters and start time before the load (once the counters are quiet)."""

    def __init__(self, mgmt):
        self.publishes = mgmt.quiet_publish_counters()
        self.node_started_at = mgmt.node_started_at()


def broker_witness(mgmt, baseline, results, receipts):
    """What the broker counted against what the workers received. After a broker restart its
    counters start again from zero: then only the tasks answered after the new start are
    compared, and the run's earlier part rests on the receipts alone."""
    started_at = mgmt.node_started_at()
    restarted = started_at is not None and abs(started_at - (baseline.node_started_at or started_at)) > 2
    if restarted:
        publishes = mgmt.publish_counters()
        after = {r["request_id"] for r in results if r["ok"] and r.get("answered_at", 0) >= started_at}
        compared = [r for r in receipts if r["request_id"] in after]
    else:
        publishes, compared = mgmt.publish_deltas(baseline.publishes), receipts
    by_vhost = receipts_by_vhost(compared)
    return {
        "publishes_by_vhost": publishes,
        "receipts_by_vhost": by_vhost,
        "agrees": publishes == by_vhost,
        "restarted": restarted,
        "node_started_at": started_at,
    }


def settle(reader, results, mgmt, baseline, seconds, quiet_seconds=5.0):
    """Wait until the workers have received every published task and the broker's counters
    agree with them; or until nothing changed for `quiet_seconds` (a task lost in a fault
    never arrives); or until `seconds` have passed. Returns (receipts, broker witness)."""
    published = {r["request_id"] for r in results if r["ok"]}
    deadline = time.monotonic() + seconds
    last, last_change = None, time.monotonic()
    while True:
        receipts = reader.poll()
        witness = broker_witness(mgmt, baseline, results, receipts)
        now = (len(receipts), tuple(witness["publishes_by_vhost"].values()))
        if now != last:
            last, last_change = now, time.monotonic()
        done = published <= {r["request_id"] for r in receipts} and witness["agrees"]
        if done or time.monotonic() > min(deadline, last_change + quiet_seconds):
            return receipts, witness
        time.sleep(0.1)


# Apache's error log (ErrorLogFormat in apache/lab.conf): "[2026-11-30 20:47:02.045828] [wsgi:info]
# [pid 5681:tid 5697] mod_wsgi (pid=5681): Create interpreter 'app2'."
INTERPRETER_LINE = re.compile(
    r"^\[(?P<at>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+)\] \[wsgi:info\] \[pid (?P<pid>\d+):tid \d+\] "
    r"mod_wsgi \(pid=\d+\): (?P<action>Create|Attach) interpreter '(?P<group>.*)'\.$"
)


def interpreter_lines(text):
    """mod_wsgi's "Create/Attach interpreter" lines of a log, as {pid, group, action, at, line}."""
    found = []
    for line in text.splitlines():
        match = INTERPRETER_LINE.match(line.strip())
        if match:
            at = datetime.datetime.strptime(match["at"], "%Y-%m-%d %H:%M:%S.%f").replace(tzinfo=datetime.UTC)
            found.append(
                {
                    "pid": int(match["pid"]),
                    "group": match["group"],
                    "action": match["action"].lower(),
                    "at": at.timestamp(),
                    "line": line.strip(),
                }
            )
    return found


def apache_log(compose_command, since):
    """Apache's log lines since `since` (epoch seconds), through Docker Compose; raises
    UsageError when Compose cannot give them."""
    since_text = datetime.datetime.fromtimestamp(since, datetime.UTC).isoformat(timespec="microseconds")
    command = [*shlex.split(compose_command), "logs", "--no-log-prefix", "--no-color", "--since", since_text, "apache"]
    try:
        completed = subprocess.run(command, capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise UsageError(f"cannot read Apache's log ({type(exc).__name__})") from None
    if completed.returncode != 0:
        raise UsageError(f"cannot read Apache's log: {completed.stderr.strip()[-200:]}")
    return completed.stdout
