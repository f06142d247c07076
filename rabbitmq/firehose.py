"""The broker's own record of every task published into the lab's vhosts: RabbitMQ's firehose.

With tracing on for a vhost (definitions.json sets it at every boot; this script checks it and
turns it on through the management API if a broker left it off), RabbitMQ copies every message
published there to the exchange amq.rabbitmq.trace, with the vhost, the user of the publishing
connection and the queues it was routed to in its headers. This consumer binds a queue of its
own in each vhost to `publish.#` and appends one JSON line per lab task to
/receipts/broker.jsonl: run_id, request_id, vhost, user, routed_queues, at. The referee reads it
beside the workers' receipts (loadtest/history.py).

The queue is durable, so it and its binding outlive a broker restart and trace messages are
kept from the broker's first moment up; the consumer reconnects by itself. Standard library and
py-amqp only; Python 2.7 and 3.x (it runs in every stack's image). The container's health check
waits for /tmp/firehose-ready, written once both vhosts are consumed.
"""

import base64
import json
import os
import signal
import sys
import threading
import time

import amqp

try:  # Python 3
    from urllib.request import Request, urlopen
except ImportError:  # Python 2.7
    from urllib2 import Request, urlopen

VHOSTS = ("app1", "app2")
QUEUE = "lab.firehose"
RECORDS = os.path.join(os.environ.get("LAB_RECEIPTS_DIR", "/receipts"), "broker.jsonl")
READY = "/tmp/firehose-ready"
USER, PASSWORD = os.environ["RABBITMQ_ADMIN_USER"], os.environ["RABBITMQ_ADMIN_PASSWORD"]
consuming = set()


def append(record):
    # One write() on an O_APPEND descriptor per line: lines never interleave.
    line = (json.dumps(record, sort_keys=True) + "\n").encode("utf-8")
    fd = os.open(RECORDS, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line)
    finally:
        os.close(fd)


def text(value):
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value


def management(method, path, body=None):
    request = Request("http://rabbitmq:15672/api/" + path, data=body)
    request.get_method = lambda: method  # Python 2's Request takes no method argument
    token = base64.b64encode(("%s:%s" % (USER, PASSWORD)).encode("utf-8")).decode("ascii")
    request.add_header("Authorization", "Basic " + token)
    request.add_header("Content-Type", "application/json")
    return urlopen(request, timeout=10).read()


def ensure_tracing(vhost):
    if not json.loads(management("GET", "vhosts/" + vhost).decode("utf-8")).get("tracing"):
        management("PUT", "vhosts/" + vhost, json.dumps({"tracing": True}).encode("utf-8"))


def envelope(body):
    """The lab task's envelope ({run_id, request_id, ...}) from a Celery message body:
    protocol 2 is [args, kwargs, embed], protocol 1 (Celery 3) {"args": [...], ...}."""
    try:
        message = json.loads(text(body))
        args = message[0] if isinstance(message, list) else message.get("args")
        first = args[0]
        return first if isinstance(first, dict) and "request_id" in first else None
    except (ValueError, TypeError, KeyError, IndexError, AttributeError):
        return None


def on_message(vhost):
    def record(message):
        headers = message.properties.get("application_headers") or {}
        task = envelope(message.body)
        if task is None:
            return
        append(
            {
                "witness": "broker",
                "run_id": task.get("run_id"),
                "request_id": task.get("request_id"),
                "vhost": text(headers.get("vhost")),
                "user": text(headers.get("user")),
                "routed_queues": [text(queue) for queue in headers.get("routed_queues") or []],
                "at": time.time(),
            }
        )

    return record


def consume(vhost):
    while True:
        try:
            ensure_tracing(vhost)
            connection = amqp.Connection(host="rabbitmq:5672", userid=USER, password=PASSWORD, virtual_host=vhost)
            if hasattr(connection, "connect"):  # py-amqp 2+; 1.x connects in the constructor
                connection.connect()
            channel = connection.channel()
            channel.queue_declare(
                queue=QUEUE, durable=True, auto_delete=False, exclusive=False, arguments={"x-max-length": 100000}
            )
            channel.queue_bind(queue=QUEUE, exchange="amq.rabbitmq.trace", routing_key="publish.#")
            channel.basic_consume(queue=QUEUE, callback=on_message(vhost), no_ack=True)
            append({"witness": "broker", "event": "consuming", "vhost": vhost, "at": time.time()})
            consuming.add(vhost)
            if consuming == set(VHOSTS):
                open(READY, "w").close()
            while True:
                connection.drain_events()
        except Exception as exc:  # the broker restarted or is not up yet: start again
            consuming.discard(vhost)
            sys.stderr.write("firehose: %s: %s: %s; again in 0.5 s\n" % (vhost, type(exc).__name__, exc))
            time.sleep(0.5)


if __name__ == "__main__":
    # As the container's PID 1 it gets no default action for SIGTERM: without this,
    # `docker stop` (make down) waits its 10 s grace period, then kills it.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(0))
    threads = [threading.Thread(target=consume, args=(vhost,)) for vhost in VHOSTS]
    for thread in threads:
        thread.daemon = True
        thread.start()
    while any(thread.is_alive() for thread in threads):
        time.sleep(1)
