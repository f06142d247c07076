"""The nemesis (Jepsen's name for it): injects one fault into the running lab at a fixed
point of the load, and records when it began and ended. It acts only through Docker Compose,
on the same project the run uses; the client carries on sending meanwhile."""

import shlex
import subprocess
import threading
import time

# Each fault, as the Compose commands that make it happen, in order.
FAULT_STEPS = {
    # Stop and start the broker (its data is kept): its counters start again from zero.
    "broker-restart": (("restart", "rabbitmq"), ("up", "-d", "--wait", "--no-deps", "rabbitmq")),
    # SIGKILL app1's Celery worker, then start it again.
    "worker-kill": (("kill", "-s", "SIGKILL", "worker-app1"), ("up", "-d", "--wait", "--no-deps", "worker-app1")),
    # Apache replaces its children (graceful restart): new interpreters, so the leak rolls again.
    "apache-recycle": (("exec", "-T", "apache", "apache-fresh-children", "graceful"),),
}


class Nemesis:
    """Call `tick(done)` after every request; at `at` (a fraction of `total`) the fault
    starts in a thread of its own. `join()` waits for it; `record()` says what happened."""

    def __init__(self, fault, total, at, compose_command):
        self.fault, self.compose = fault, shlex.split(compose_command)
        self.trigger = max(1, int(total * at)) if fault != "none" else None
        self.thread = None
        self.began_at = self.ended_at = None
        self.steps = []

    def tick(self, done):
        if self.trigger is not None and done >= self.trigger and self.thread is None:
            self.thread = threading.Thread(target=self._inject, daemon=True)
            self.thread.start()

    def _inject(self):
        self.began_at = time.time()
        for step in FAULT_STEPS[self.fault]:
            completed = subprocess.run([*self.compose, *step], capture_output=True, text=True, timeout=120)
            self.steps.append(
                {"command": " ".join(step), "exit": completed.returncode, "output": completed.stderr[-300:]}
            )
            if completed.returncode != 0:
                break
        self.ended_at = time.time()

    def join(self, timeout=180):
        if self.thread is not None:
            self.thread.join(timeout)

    def record(self):
        if self.fault == "none":
            return None
        return {"fault": self.fault, "began_at": self.began_at, "ended_at": self.ended_at, "steps": self.steps}
