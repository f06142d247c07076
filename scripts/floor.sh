#!/usr/bin/env bash
# The floor a hot `make reproduce` is measured against (scripts/bench.sh): what any run of the
# lab must do and nothing more. Fresh Apache children (the lab's own SIGHUP helper), ApacheBench
# sending 300 valid requests over both Hosts (150 each, 8 concurrent each, a new connection per
# request), then waiting until the workers' receipts hold every task. The lab must be up.
#   bash scripts/floor.sh
set -euo pipefail
cd "$(dirname "$0")/.."
http_port=$(python3 -m loadtest.lab LAB_HTTP_PORT)  # .env, written by make env (one reader: loadtest.lab)
run="floor$(date +%s%N)"
bodies=$(mktemp -d)
trap 'rm -rf "$bodies"' EXIT
printf '{"run_id": "%s", "request_id": "%s-1"}' "$run" "$run" > "$bodies/app1"
printf '{"run_id": "%s", "request_id": "%s-2"}' "$run" "$run" > "$bodies/app2"
docker compose exec -T apache apache-fresh-children
for app in app1 app2; do
  ab -q -n 150 -c 8 -p "$bodies/$app" -T application/json -H "Host: $app.example.com" "http://127.0.0.1:$http_port/enqueue/" >/dev/null &
done
wait
until [ "$(cat var/receipts/app1.jsonl var/receipts/app2.jsonl 2>/dev/null | grep -c "\"run_id\": \"$run\"")" -ge 300 ]; do
  sleep 0.02
done
