#!/usr/bin/env bash
# `docker compose up -d --wait SERVICE...`, skipped when every service already runs, healthy,
# from the configuration and image compose would give it now (compose's own config-hash and
# image labels, the ones `up` compares): a hot `make reproduce` pays this check instead of an
# `up` that changes nothing (scripts/bench.sh measures the run against its floor).
#   bash scripts/lab-up.sh SERVICE...      (compose reads .env and the LAB_* environment)
set -euo pipefail
# The three questions at once (each is a Compose or Docker command of about a tenth of a second).
answers=$(mktemp -d)
trap 'rm -rf "$answers"' EXIT
{ docker compose config --hash "$(IFS=,; echo "$*")" 2>/dev/null | sed 's/$/ healthy/' | sort >"$answers/hashes"; } &
# shellcheck disable=SC2046  # one argument per image
{ docker image inspect -f '{{.Id}}' $(docker compose config --images "$@" 2>/dev/null | sort -u) 2>/dev/null | sort -u >"$answers/ids"; } &
{ docker compose ps --format '{{.Service}} {{.Label "com.docker.compose.config-hash"}} {{.Health}} {{.Label "com.docker.compose.image"}}' "$@" 2>/dev/null >"$answers/running"; } &
wait
hashes=$(cat "$answers/hashes") ids=$(cat "$answers/ids") running=$(cat "$answers/running")
if [ -n "$hashes" ] && [ "$hashes" = "$(cut -d' ' -f1-3 <<<"$running" | sort)" ] && [ "$ids" = "$(cut -d' ' -f4 <<<"$running" | sort -u)" ]; then
  exit 0
fi
docker compose up -d --wait "$@"
