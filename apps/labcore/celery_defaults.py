"""Celery settings both apps share; each app's celeryconfig adds its own broker_url."""

from labcore.run import TRANSPORT

# What `from labcore.celery_defaults import *` gives a config module: the settings alone.
__all__ = [
    "accept_content", "broker_connection_retry_on_startup", "broker_connection_timeout", "broker_scheme",
    "imports", "task_acks_late", "task_ignore_result", "task_publish_retry_policy", "task_reject_on_worker_lost",
    "task_serializer", "worker_enable_remote_control", "worker_prefetch_multiplier", "worker_send_task_events",
]  # fmt: skip
if TRANSPORT == "pyamqp":
    __all__.append("broker_transport_options")

# How the web side publishes (the TRANSPORT knob, from the run's lab.json: labcore/run.py):
# librabbitmq, the incident's transport, which kombu picks for an amqp:// URL, publishing
# without confirms; or py-amqp with publisher confirms, where a publish the broker did not
# take raises instead of being answered 200.
broker_scheme = {"librabbitmq": "amqp", "pyamqp": "pyamqp"}[TRANSPORT]
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

# Celery 3 (the bullseye stack's, as in 2013) reads its settings only under their old,
# upper-case names; Celery 4+ under the names above (and refuses a mix of both).
OLD_NAMES = {
    "broker_url": "BROKER_URL",
    "broker_transport_options": "BROKER_TRANSPORT_OPTIONS",
    "broker_connection_timeout": "BROKER_CONNECTION_TIMEOUT",
    "imports": "CELERY_IMPORTS",
    "task_serializer": "CELERY_TASK_SERIALIZER",
    "accept_content": "CELERY_ACCEPT_CONTENT",
    "task_ignore_result": "CELERY_IGNORE_RESULT",
    "task_publish_retry_policy": "CELERY_TASK_PUBLISH_RETRY_POLICY",
    "worker_enable_remote_control": "CELERY_ENABLE_REMOTE_CONTROL",
    "worker_send_task_events": "CELERY_SEND_EVENTS",
    "worker_prefetch_multiplier": "CELERYD_PREFETCH_MULTIPLIER",
    "task_acks_late": "CELERY_ACKS_LATE",
    # Not in Celery 3: left out there.
    "broker_connection_retry_on_startup": None,
    "task_reject_on_worker_lost": None,
    "broker_scheme": None,
}


def in_this_celerys_names(settings):
    """Rename a config module's settings (its globals()) for Celery 3; nothing on Celery 4+."""
    import celery

    if celery.VERSION[0] >= 4:
        return
    for new, old in OLD_NAMES.items():
        if new in settings:
            value = settings.pop(new)
            if old:
                settings[old] = value
