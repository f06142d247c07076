#!/usr/bin/env bash
# Write .env (mode 600) with random passwords and keys unless it exists, then add any of them
# and of the given KEY=VALUE defaults it lacks (the Makefile passes the lab's defaults, from
# choices.mk), so an older .env gains new keys and keeps what the user set. Compose reads .env
# for a bare `docker compose up`; make reads it too.
#   bash scripts/ensure-env.sh LAB_STACK=trixie LAB_HTTP_PORT=8080 ...
set -euo pipefail
cd "$(dirname "$0")/.."
umask 077
# Each secret and its length in random bytes (written as hex): the broker's and PostgreSQL's
# passwords, and each app's Django SECRET_KEY (64 characters: Django's deployment check asks
# for at least 50).
SECRETS="RABBITMQ_ADMIN_PASSWORD=16 APP1_BROKER_PASSWORD=16 APP2_BROKER_PASSWORD=16
  APP1_DATABASE_PASSWORD=16 APP2_DATABASE_PASSWORD=16 APP1_SECRET_KEY=32 APP2_SECRET_KEY=32"
random_hex() { od -An -N"$1" -tx1 /dev/urandom | tr -d ' \n'; }
if [ ! -e .env ]; then
  echo "Writing .env with random passwords and the lab's defaults (see .env.example)"
  echo "RABBITMQ_ADMIN_USER=admin" > .env.tmp
  mv .env.tmp .env
fi
for secret in $SECRETS; do
  key=${secret%%=*}
  grep -q "^$key=" .env || echo "$key=$(random_hex "${secret#*=}")" >> .env
done
for pair in "$@"; do
  key=${pair%%=*}
  grep -q "^$key=" .env || echo "$pair" >> .env
done
