"""The lab's one task. Both apps register it under the same name, so a task published to the
other app's vhost is still consumed and recorded by that app's worker, never dropped."""

import json
import os
import time

from celery import shared_task
from celery.signals import worker_ready

RECEIPTS_DIR = os.environ.get("LAB_RECEIPTS_DIR", "/receipts")
READY_FILE = "/tmp/celery-worker-ready"


@shared_task(name="lab.record", bind=True)
def record(self, envelope):
    """Write down what this worker really received, and from which vhost."""
    # Celery 3.1 (the bullseye stack's) has app.connection(); Celery 4+ connection_for_read().
    connect = getattr(self.app, "connection_for_read", None) or self.app.connection
    with connect() as connection:
        receipt = dict(
            envelope,
            task_id=self.request.id,
            worker_app=os.environ.get("LAB_WORKER_APP", "?"),
            worker_vhost=connection.virtual_host,
            worker_user=connection.userid,
            received_at=time.time(),
        )
    line = (json.dumps(receipt, sort_keys=True) + "\n").encode("utf-8")
    # One write() on an O_APPEND descriptor per receipt: lines written by the pool's
    # processes never interleave.
    path = os.path.join(RECEIPTS_DIR, receipt["worker_app"] + ".jsonl")
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line)
    finally:
        os.close(fd)
    return receipt["worker_vhost"]


@worker_ready.connect
def mark_worker_ready(**_):
    # The container's healthcheck looks for this file: asking the worker over the broker
    # would publish messages and spoil the broker's record of the lab's tasks.
    open(READY_FILE, "w").close()
