#!/bin/sh
# One app's Celery worker (LAB_WORKER_APP=app1 or app2), started from that app's eager Celery
# app (`-A appN` finds appN/celery.py). CELERY_BROKER_URL, set by Compose, overrides the
# config's broker URL with the same user and vhost over py-amqp: kombu's librabbitmq
# transport can publish but not consume (no on_cancel).
set -eu
: "${LAB_WORKER_APP:?set LAB_WORKER_APP to app1 or app2}"
exec celery -A "$LAB_WORKER_APP" worker --loglevel=warning --concurrency=2 \
  --without-gossip --without-mingle --without-heartbeat --hostname="$LAB_WORKER_APP@%h"
