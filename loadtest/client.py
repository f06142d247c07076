"""The client: sends the plan's requests to Apache and records what each one answered.

It only applies operations; whether a task really went where it should is the checker's
business, from the workers' receipts.
"""

import concurrent.futures
import queue
import sys
import threading
import time

from loadtest import http
from loadtest.lab import HOST_APPS, UsageError
from loadtest.records import Answer, Greeting, Result

ERROR_KINDS = (
    "login_refused",  # 403 ACCESS_REFUSED, wrong user or password (librabbitmq 1.0: "Couldn't log in: ...")
    "vhost_refused",  # librabbitmq: 530 NOT_ALLOWED, vhost not permitted for that user
    "socket_error",  # could not open a socket to the broker (py-amqp: "Connection refused")
    "database_refused",  # PostgreSQL refused the role (pg_hba.conf, CONNECT revoked, wrong password)
    "http_5xx",
    "http_4xx",
    "timeout",
    "connection_error",
)


def classify_error(status=None, text="", exception=None):
    """One error kind for a failed request, from what the client saw."""
    if exception == "timeout":
        return "timeout"
    if exception == "connection":
        return "connection_error"
    text = text or ""
    if "pg_hba.conf" in text or "permission denied for database" in text or "password authentication" in text:
        return "database_refused"
    if "NOT_ALLOWED" in text or "530" in text and "vhost" in text:
        return "vhost_refused"
    if "ACCESS_REFUSED" in text or text.startswith("Couldn't log in"):
        return "login_refused"
    if "socket" in text.lower() or "Connection refused" in text:
        return "socket_error"
    if status is not None and status >= 500:
        return "http_5xx"
    return "http_4xx"


def check_reachable(url):
    try:
        answer = http.request("GET", f"{url}/healthz", timeout=3)
    except http.Failed as failed:
        raise UsageError(f"cannot reach Apache at {url} ({failed}); is the lab up? (make up)") from None
    if not answer.ok:
        raise UsageError(f"Apache at {url} answered /healthz with {answer.status}; is the lab up? (make up)")


def send(url, run_id, index, host, timeout):
    """POST /enqueue/ once, on a new connection (as many different clients would: Apache
    hands each to whichever child accepts it first). Returns the request's record."""
    request_id, sent_at = f"{run_id}-{index}", time.time()
    outcome = _post(url, run_id, request_id, host, timeout)
    return Result(request_id=request_id, host=host, app=HOST_APPS[host], index=index, sent_at=sent_at,
                  answered_at=time.time(), **outcome)  # fmt: skip


def _post(url, run_id, request_id, host, timeout):
    try:
        answer = http.request(
            "POST", f"{url}/enqueue/", host=host, body={"run_id": run_id, "request_id": request_id}, timeout=timeout
        )
    except http.Failed as failed:  # timed out, refused, reset, cut off mid-answer...
        return {"ok": False, "error_kind": classify_error(exception=failed.kind), "error": str(failed)}
    try:
        body = answer.json()
    except ValueError:
        body = None
    parsed = Answer.parse(body)
    if answer.ok:
        return {"ok": True, "status": answer.status, "answer": parsed}
    # The lab's views answer every error with one line of JSON; anything else is Apache's
    # own error page: no Python view answered (Apache's log says why).
    text = (
        body.get("error") if isinstance(body, dict) else None
    ) or f"HTTP {answer.status} from Apache itself, not from a view"
    return {"ok": False, "status": answer.status, "answer": parsed, "error_kind": classify_error(answer.status, text),
            "error": text}  # fmt: skip


def greet(url, host, timeout):
    """GET /hello/ on `host`, alone: a page that publishes nothing, as a fresh Apache child's
    first requests usually are (the interpreter runs its WSGI file; no Celery code runs).
    Returns what it answered."""
    started = time.time()
    try:
        response = http.request("GET", f"{url}/hello/", host=host, timeout=timeout)
        answer = Answer.parse(response.json()) if response.ok else None
        status, error = response.status, None
    except (http.Failed, ValueError) as exc:
        answer, status, error = None, None, f"{type(exc).__name__}: {exc}"
    return Greeting(host=host, status=status, answer=answer, sent_at=started, answered_at=time.time(), error=error)


def send_all(url, run_id, plan, concurrency, ramp_up, timeout, progress, gate=lambda index: None):
    """Every request of the plan, from `concurrency` client threads that start one after
    another over `ramp_up` seconds (the ramp-up of JMeter and Locust), the way traffic comes
    back after a restart, instead of all in the same millisecond. `gate(index)` is called
    before each request is sent (the nemesis starts its fault and shapes the load there)."""
    work = queue.SimpleQueue()
    for item in enumerate(plan):
        work.put(item)
    results = [None] * len(plan)

    def send_one(index, host):
        gate(index)
        results[index] = send(url, run_id, index, host, timeout)
        progress.advance(results[index].ok)

    with progress:

        def client(number):
            time.sleep(ramp_up * number / concurrency)
            while True:
                try:
                    index, host = work.get_nowait()
                except queue.Empty:
                    return
                send_one(index, host)

        with concurrent.futures.ThreadPoolExecutor(max_workers=concurrency) as pool:
            list(pool.map(client, range(concurrency)))
    return tuple(results)


class Progress:
    """A progress bar on a terminal (rich); one line at the end otherwise, so that CI logs and
    a redirected run stay short; nothing at all when quiet."""

    def __init__(self, total, quiet=False, stream=sys.stderr):
        self.total, self.quiet, self.stream = total, quiet, stream
        self.done = self.failed = 0
        self.lock = threading.Lock()
        self.started = time.monotonic()
        self.bar = None
        if not quiet and stream.isatty():
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            self.bar = Progress(
                TextColumn("sending"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("failed {task.fields[failed]}"),
                TimeElapsedColumn(),
                console=Console(file=stream),
                transient=False,
            )
            self.task = self.bar.add_task("load", total=total, failed=0)

    def __enter__(self):
        if self.bar:
            self.bar.start()
        return self

    def __exit__(self, *exc):
        if self.bar:
            self.bar.stop()

    def advance(self, ok):
        """Count one more request; returns how many are done."""
        with self.lock:
            self.done += 1
            self.failed += 0 if ok else 1
            if self.bar:
                self.bar.update(self.task, completed=self.done, failed=self.failed)
            elif not self.quiet and self.done == self.total:  # without a terminal: one line, at the end
                elapsed = time.monotonic() - self.started
                print(
                    f"  sent {self.done}/{self.total}, failed {self.failed}, {elapsed:.1f} s",
                    file=self.stream,
                    flush=True,
                )
            return self.done
