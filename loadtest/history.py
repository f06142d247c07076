"""The history: what the run left behind, read from the witnesses that are not the web side.
The workers' receipts (one JSON line per task a worker really received, with the vhost of its
own connection), the broker's own record of every task published (RabbitMQ's firehose:
rabbitmq/firehose.py writes one line per publish, with the vhost and the user that published
it), and mod_wsgi's own log lines ("Create interpreter", with Apache's microsecond timestamp).
RabbitMQ's management API is asked only for its version."""

import datetime
import json
import re
import time
from dataclasses import dataclass, field

from loadtest import codec, http
from loadtest.lab import UsageError
from loadtest.records import (
    FaultRecord,
    Finding,
    FirehoseEvent,
    Greeting,
    InterpreterLine,
    Process,
    ProcessCost,
    Receipt,
    Result,
    Trace,
    Traceback,
)

BROKER_RECORDS = "broker.jsonl"  # the firehose's file in the receipts directory


@dataclass(frozen=True)
class History:
    """Everything a run left behind, as its witnesses recorded it (typed: loadtest.records):
    what the checker reads (loadtest.checker.check) and the report stores beside the run and the
    checker's answer."""

    first_requests: tuple[Greeting, ...]  # the page views sent first, alone (client.greet)
    results: tuple[Result, ...]  # one per request of the plan: what the client sent and what it was answered
    receipts: tuple[Receipt, ...]  # the workers' receipts of this run's tasks
    traces: tuple[Trace, ...]  # the broker's record (its firehose) of each publish of this run
    firehose_events: tuple[FirehoseEvent, ...]  # when the firehose (re)started consuming each vhost
    fault: FaultRecord | None  # the nemesis's record of its steps (None without a fault)
    interpreter_log: tuple[InterpreterLine, ...]  # mod_wsgi's "Create interpreter" lines of this run's children
    detector: tuple[Finding, ...]  # the detector's (envleak's) findings in Apache's log
    refused_logins: dict[str, int]  # RabbitMQ's own log: the logins it refused, per user
    versions: dict[str, str | None]  # what the running containers report of themselves
    apache_processes: tuple[Process, ...]  # the Apache container's processes after the load
    apache_cost: ProcessCost | None  # what they cost (xray.process_cost)
    witnesses_complete_after: dict[str, float | None]  # seconds after the last answer each witness had every task
    tracebacks: tuple[Traceback, ...] = ()  # Python's tracebacks in Apache's log (python_tracebacks)
    # The scenarios with a database (lab.POSTGRES_SCENARIOS), None otherwise: where PostgreSQL
    # holds each request's row ({request_id: [database, ...]}, read from PostgreSQL itself), the
    # application_name it recorded for each, whose key signed each answer ({request_id: app,
    # "neither", or None when unsigned}, checked against each app's SECRET_KEY in .env), and each
    # key's fingerprint ({fingerprint: app}, to name the app of a masked SECRET_KEY).
    rows: dict[str, tuple[str, ...]] | None = None
    row_names: dict[str, str] | None = None
    signers: dict[str, str | None] | None = None
    key_fingerprints: dict[str, str] = field(default_factory=dict)
    problems: tuple[str, ...] = ()  # what kept the run from being checked (the lab's own words): INCONCLUSIVE
    unread_logs: dict[str, str] = field(default_factory=dict)  # service -> why its log could not be read


class ManagementAPI:
    """RabbitMQ's management API: the broker's and Erlang's versions."""

    def __init__(self, url, user, password):
        self.url = url.rstrip("/")
        self.auth = (user, password)

    def _get(self, path):
        try:
            response = http.request("GET", f"{self.url}/api/{path}", auth=self.auth, timeout=5)
        except http.Failed as failed:
            raise UsageError(f"cannot reach the RabbitMQ management API at {self.url} ({failed})") from None
        if response.status == 401:
            raise UsageError(f"the management API refused user {self.auth[0]!r}; check RABBITMQ_ADMIN_* in .env")
        if not response.ok:
            raise UsageError(f"the management API answered {path} with {response.status}")
        return response.json()

    def versions(self):
        overview = self._get("overview")
        return {"rabbitmq": overview.get("rabbitmq_version"), "erlang": overview.get("erlang_version")}


class Records:
    """This run's lines in the receipts directory: the workers' receipts (appN.jsonl) and the
    broker's records (broker.jsonl). Each poll reads only what was appended since the last
    one; a line still being written waits for the next poll."""

    def __init__(self, receipts_dir, run_id):
        if not receipts_dir.is_dir():
            raise UsageError(f"receipts directory {receipts_dir} does not exist; is the lab up? (make up)")
        self.receipts_dir, self.run_id = receipts_dir, run_id
        # Start at the files' current ends: earlier runs' lines are not this run's.
        self.offsets = {path: path.stat().st_size for path in receipts_dir.glob("*.jsonl")}
        self.receipts, self.traces = [], []
        self.firehose_events = []  # when the firehose (re)started consuming each vhost

    def poll(self):
        for path in sorted(self.receipts_dir.glob("*.jsonl")):
            with path.open("rb") as lines:
                lines.seek(self.offsets.get(path, 0))
                for line in lines:
                    if not line.endswith(b"\n"):
                        break
                    self.offsets[path] = self.offsets.get(path, 0) + len(line)
                    record = json.loads(line)
                    if path.name == BROKER_RECORDS and record.get("event") == "consuming":
                        self.firehose_events.append(codec.from_data(FirehoseEvent, record))
                    elif record.get("run_id") == self.run_id and path.name == BROKER_RECORDS:
                        self.traces.append(codec.from_data(Trace, record))
                    elif record.get("run_id") == self.run_id:
                        self.receipts.append(codec.from_data(Receipt, record))
        return self


def settle(records, results, seconds, quiet_seconds=3.0):
    """Wait until every task the web side published (or a worker received) has reached both a
    worker and the broker's record, or until `seconds` have passed. A task the broker
    recorded will reach a worker (after a broker restart, once the workers have reconnected),
    so it is waited for until the end; anything else may never arrive (a task published as the
    broker went down), so that wait ends once nothing new has arrived for `quiet_seconds`.
    Returns (receipts, traces, when each witness was complete: seconds after the last answer,
    or None)."""
    published = {r.request_id for r in results if r.ok}
    last_answer = max((r.answered_at for r in results), default=time.time())
    deadline = time.monotonic() + seconds
    seen, last_change = None, time.monotonic()
    complete = {"receipts": None, "broker": None}
    while True:
        records.poll()
        received = {receipt.request_id for receipt in records.receipts}
        traced = {trace.request_id for trace in records.traces}
        for witness, ids in (("receipts", received), ("broker", traced)):
            if complete[witness] is None and published <= ids:
                complete[witness] = round(time.time() - last_answer, 3)
        now = (len(records.receipts), len(records.traces))
        if now != seen:
            seen, last_change = now, time.monotonic()
        missing = (published - received) | ((published | received) - traced)
        quiet = time.monotonic() > last_change + quiet_seconds
        if not missing or (quiet and not traced - received) or time.monotonic() > deadline:
            return tuple(records.receipts), tuple(records.traces), complete
        time.sleep(0.02)


# Apache's error log (ErrorLogFormat in apache/lab.conf): "[2026-11-30 20:47:02.045828] [wsgi:info]
# [pid 5681:tid 5697] mod_wsgi (pid=5681): Create interpreter 'app2'." (mod_wsgi 4 and 5), or
# "... Creating sub-interpreter 'app2' in embedded mode with own GIL." (mod_wsgi 6).
INTERPRETER_LINE = re.compile(
    r"^\[(?P<at>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+)\] \[wsgi:info\] \[pid (?P<pid>\d+):tid \d+\] "
    r"(?:mod_wsgi \(pid=\d+\): (?P<action>Create|Attach) interpreter '(?P<group>.*)'\.|"
    r"(?P<action6>Creating|Attaching) (?:sub-|main )?interpreter '(?P<group6>.*)'(?P<how>.*)\.)$"
)


# uWSGI's log (uwsgi/lab.ini: log-encoder "format [${micros}] ${msg}"): "[1765140000123456] WSGI
# app 1 (mountpoint='app2.example.com|') ready in 0 seconds on interpreter 0x5610e8a2b0 pid: 41
# (default app)", the last words only for app 0. In a worker, app 0 runs in the main interpreter
# (which the worker has from the master: "attach") and every later app in a new one ("create").
UWSGI_APP_LINE = re.compile(
    r"^\[(?P<micros>\d{16})\] WSGI app (?P<app>\d+) \(mountpoint='(?P<group>[^']*)'\) ready in \d+ seconds "
    r"on interpreter (?P<interpreter>0x[0-9a-f]+) pid: (?P<pid>\d+)(?: \(default app\))?$"
)


def uwsgi_app_lines(text):
    """uWSGI's "WSGI app N (mountpoint=...) ready ... on interpreter 0x... pid: N" lines
    (records.InterpreterLine: `group` is the mountpoint, `how` the app's number and interpreter)."""
    found = []
    for line in text.splitlines():
        match = UWSGI_APP_LINE.match(line.strip())
        if match:
            app = int(match["app"])
            found.append(
                InterpreterLine(
                    pid=int(match["pid"]),
                    group=match["group"],
                    action="attach" if app == 0 else "create",
                    how=f"uWSGI app {app} on interpreter {match['interpreter']}",
                    at=int(match["micros"]) / 1e6,
                    line=line.strip(),
                )
            )
    return found


def interpreter_lines(text, server="mod_wsgi"):
    """The server's own lines of a log that say an interpreter was created or attached
    (records.InterpreterLine): mod_wsgi's "Create/Attach interpreter", uWSGI's "WSGI app N ... ready"."""
    if server == "uwsgi":
        return uwsgi_app_lines(text)
    found = []
    for line in text.splitlines():
        match = INTERPRETER_LINE.match(line.strip())
        if match:
            at = datetime.datetime.strptime(match["at"], "%Y-%m-%d %H:%M:%S.%f").replace(tzinfo=datetime.timezone.utc)
            action = (match["action"] or match["action6"]).lower()
            found.append(
                InterpreterLine(
                    pid=int(match["pid"]),
                    group=match["group"] if match["group"] is not None else match["group6"],
                    action={"creating": "create", "attaching": "attach"}.get(action, action),
                    how=(match["how"] or "").strip(),
                    at=at.timestamp(),
                    line=line.strip(),
                )
            )
    return found


# The detector's lines in Apache's log (envleak, the package in envleak/, writes them on stderr, which mod_wsgi
# logs): "envleak: pid 57 interpreter 'app2': CELERY_CONFIG_MODULE=app1.celeryconfig EL101 LEAKED: ...";
# with ENVLEAK_WATCH=* any variable's name. envleak 0.2 wrote no code ("...celeryconfig LEAKED: ...").
ENVLEAK_LINE = re.compile(
    r"envleak: pid (?P<pid>\d+) interpreter '(?P<group>[^']*)': (?P<name>[A-Za-z_][A-Za-z0-9_]*)=(?P<finding>.*)$"
)
# envleak 0.3's code for a finding, after the value: "... EL101 LEAKED: ..." (0.2: none).
ENVLEAK_CODE = re.compile(r" (?P<code>EL\d{3}) LEAKED: ")
# A Python traceback in Apache's log (mod_wsgi writes each of its lines at error level), and
# where the lab's files are inside the image: a traceback names the file as the repository has it.
WSGI_ERROR = re.compile(r"^\[[^]]*\] \[wsgi:error\] \[pid (?P<pid>\d+):tid \d+\] (?P<text>.*)$")
FRAME = re.compile(r'^  File "(?P<file>[^"]+)", line (?P<line>\d+)')
REPOSITORY_PATHS = {"/srv/workspace/": "workshop/workspace/", "/srv/fixes/": "workshop/fixes/", "/srv/apps/": "apps/"}


def python_tracebacks(text):
    """The Python tracebacks in Apache's log (records.Traceback): `exception`
    is its last line, `where` the deepest frame in one of the lab's files, as the repository
    names it (workshop/workspace/app1_wsgi.py, line 3), or None."""
    found, open_blocks = [], {}
    for line in text.splitlines():
        match = WSGI_ERROR.match(line.strip("\n"))
        if not match:
            continue
        pid, said = int(match["pid"]), match["text"]
        block = open_blocks.get(pid)
        if said.startswith("Traceback (most recent call last):"):
            open_blocks[pid] = {"pid": pid, "lines": [said], "exception": None, "where": None}
        elif block is not None and said.startswith(" "):
            block["lines"].append(said)
            frame = FRAME.match(said)
            for inside, outside in REPOSITORY_PATHS.items():
                if frame and frame["file"].startswith(inside):
                    block["where"] = f"{outside}{frame['file'][len(inside) :]}, line {frame['line']}"
        elif block is not None and said:
            block["lines"].append(said)
            block["exception"] = said
            done = open_blocks.pop(pid)
            found.append(Traceback(done["pid"], tuple(done["lines"]), done["exception"], done["where"]))
    return found


# RabbitMQ's own words for a refused login: "PLAIN login refused: user 'app2' - invalid credentials".
REFUSED_LINE = re.compile(r"login refused: user '(?P<user>[^']*)'")


def envleak_lines(text):
    """The detector's findings in Apache's log (records.Finding): `code` is envleak's finding
    code (EL101 ...; None on a line without one), `finding` the rest of the line after NAME=
    without the code (the masked value, then "LEAKED: ...")."""
    found = []
    for line in text.splitlines():
        match = ENVLEAK_LINE.search(line.strip())
        if match:
            finding, code = match["finding"], None
            coded = ENVLEAK_CODE.search(finding)
            if coded:
                code = coded["code"]
                finding = finding[: coded.start()] + " LEAKED: " + finding[coded.end() :]
            found.append(
                Finding(pid=int(match["pid"]), group=match["group"], variable=match["name"], finding=finding, code=code)
            )
    return found


def refused_users(text):
    """RabbitMQ's log: how many logins it refused, per user name."""
    counts = {}
    for match in REFUSED_LINE.finditer(text):
        counts[match["user"]] = counts.get(match["user"], 0) + 1
    return counts
