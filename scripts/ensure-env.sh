#!/usr/bin/env bash
# Write .env (mode 600) with random passwords unless it exists, then add any of the given
# KEY=VALUE defaults it lacks (the Makefile passes the lab's defaults, from choices.mk), so an
# older .env gains new keys and keeps what the user set. Compose reads .env for a bare
# `docker compose up`; make reads it too.
#   bash scripts/ensure-env.sh LAB_STACK=trixie LAB_HTTP_PORT=8080 ...
set -euo pipefail
cd "$(dirname "$0")/.."
umask 077
if [ ! -e .env ]; then
  echo "Writing .env with random passwords and the lab's defaults (see .env.example)"
  {
    echo "RABBITMQ_ADMIN_USER=admin"
    for key in RABBITMQ_ADMIN_PASSWORD APP1_BROKER_PASSWORD APP2_BROKER_PASSWORD; do
      echo "$key=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
    done
  } > .env.tmp
  mv .env.tmp .env
fi
for pair in "$@"; do
  key=${pair%%=*}
  grep -q "^$key=" .env || echo "$pair" >> .env
done
