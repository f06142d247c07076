"""The nemesis (Jepsen's name for it): injects one fault into the running lab during the load,
through Docker Compose on the same project the run uses, and records each of its steps as an
event of the run's history (its command, when it began and ended, its exit status).

It also shapes the load around the fault, so that every fault shows: the requests of the plan
before FAULT_AT go at full speed; the fault starts as request FAULT_AT is sent; while it is under
way the client goes on at a slow, steady pace (DURING_RATE), so that requests meet the fault
whatever it lasts; and the last requests of the plan (RESERVE) wait until its last step has
ended, so that load always reaches what the fault left behind (a restarted broker, Apache's
new children, a worker started again)."""

import threading
import time

from loadtest.records import FaultRecord, FaultStep

# Each fault, as the Compose commands that make it happen, in order.
FAULT_STEPS = {
    # Stop and start the broker (its data is kept).
    "broker-restart": (("restart", "rabbitmq"), ("up", "-d", "--wait", "--no-deps", "rabbitmq")),
    # SIGKILL app1's Celery worker, then start it again.
    "worker-kill": (("kill", "-s", "SIGKILL", "worker-app1"), ("up", "-d", "--wait", "--no-deps", "worker-app1")),
    # Apache replaces its children (graceful restart): new interpreters, so the leak rolls again.
    "apache-recycle": (("exec", "-T", "apache", "apache-fresh-children", "graceful"),),
}
DURING_RATE = 25  # requests per second while the fault is under way
RESERVE = 0.1  # the share of the plan kept for after the fault (at least MIN_RESERVE requests)
MIN_RESERVE = 16


class Nemesis:
    """Call `gate(index)` before sending request `index` of the plan: it starts the fault at
    FAULT_AT, paces the requests while the fault is under way, and holds the reserve back
    until it has ended. `join()` waits for the fault; `record()` is its history."""

    def __init__(self, fault, total, at, compose):
        # compose(*args) runs Compose on the run's project (loadtest.compose.Lab.compose).
        self.fault, self.compose = fault, compose
        self.trigger = self.reserve_from = None
        if fault != "none":
            self.trigger = max(1, int(total * at))
            self.reserve_from = max(self.trigger + 1, total - max(MIN_RESERVE, int(total * RESERVE)))
        self.thread = None
        self.began_at = self.ended_at = None
        self.ended = threading.Event()
        self.steps = []
        self.lock = threading.Lock()
        self.next_slot = 0.0

    def gate(self, index):
        if self.trigger is None or index < self.trigger:
            return
        with self.lock:
            if self.thread is None:
                self.thread = threading.Thread(target=self._inject, daemon=True)
                self.thread.start()
        if index >= self.reserve_from:
            self.ended.wait(timeout=300)
            return
        if not self.ended.is_set():
            with self.lock:
                slot = max(time.monotonic(), self.next_slot)
                self.next_slot = slot + 1 / DURING_RATE
            time.sleep(max(0.0, slot - time.monotonic()))

    def _inject(self):
        self.began_at = time.time()
        try:
            for step in FAULT_STEPS[self.fault]:
                began = time.time()
                completed = self.compose(*step)
                self.steps.append(
                    FaultStep(" ".join(step), began, time.time(), completed.returncode, completed.stderr[-300:])
                )
                if completed.returncode != 0:
                    break
        finally:
            self.ended_at = time.time()
            self.ended.set()

    def join(self, timeout=300):
        if self.thread is not None:
            self.thread.join(timeout)

    def record(self):
        if self.fault == "none":
            return None
        return FaultRecord(self.fault, self.began_at, self.ended_at, tuple(self.steps))
