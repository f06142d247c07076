"""Celery settings both apps share; each app's celeryconfig adds its own broker_url."""

import os

# How the web side publishes (the TRANSPORT knob, set once for the whole container and never
# written, so it cannot leak): librabbitmq, the incident's transport, which kombu picks for an
# amqp:// URL, publishing without confirms; or py-amqp with publisher confirms, where a publish
# the broker did not take raises instead of being answered 200.
broker_scheme = {"librabbitmq": "amqp", "pyamqp": "pyamqp"}[os.environ.get("LAB_TRANSPORT") or "librabbitmq"]
if broker_scheme == "pyamqp":
    broker_transport_options = {"confirm_publish": True}

imports = ["labcore.tasks"]
task_serializer = "json"
accept_content = ["json"]
task_ignore_result = True
broker_connection_retry_on_startup = True
# Fail a publish fast instead of retrying for seconds: the load test counts failures.
task_publish_retry_policy = {"max_retries": 2, "interval_start": 0, "interval_step": 0.2}
broker_connection_timeout = 5
# The workers publish nothing of their own (no remote control replies, no events), so the
# broker's per-vhost publish counters count exactly the lab's tasks.
worker_enable_remote_control = False
worker_send_task_events = False
worker_prefetch_multiplier = 16
# Ack a task after it ran, and hand it back if its worker process dies: a worker killed in
# the middle (FAULT=worker-kill) loses nothing; at worst a task runs twice, and the referee
# counts that as a redelivery during the fault.
task_acks_late = True
task_reject_on_worker_lost = True
