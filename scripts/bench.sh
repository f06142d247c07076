#!/usr/bin/env bash
# Wall-clock times of what workshops wait on, written to docs/measured/bench-warm.txt (or
# bench-cold.txt) and, for each exercise, docs/measured/exercises.txt: notes for
# docs/timings.md and docs/workshop.md (`make docs` copies them in), never assertions.
#
#   bash scripts/bench.sh          warm: images built (both stacks), the lab up
#   bash scripts/bench.sh --cold   first removes the lab's venv, wheelhouses, images, build
#                                  cache and the Debian base images (not the engine)
#   bash scripts/bench.sh --exercises   only the exercises (docs/measured/exercises.txt)
#   bash scripts/bench.sh --suite  only make test and .ci/run again, in bench-warm.txt
#
# Hot `make reproduce` is measured against its floor, side by side in PAIRS pairs: the floor
# is what any run must do (scripts/floor.sh: fresh Apache children by the lab's own SIGHUP
# helper, ApacheBench sending 300 valid requests over both Hosts, then waiting until the
# workers' receipts hold every task). Also measured: how long after the last answer each witness was complete, and how
# long RabbitMQ's management counters (the referee's old witness) took to show the same run.
set -euo pipefail
cd "$(dirname "$0")/.."
cold=no
[ "${1:-}" = "--cold" ] && cold=yes
only_exercises=no
[ "${1:-}" = "--exercises" ] && only_exercises=yes
PAIRS=${PAIRS:-5}
mkdir -p docs/measured reports
# Written aside and moved into docs/measured/ at the end: the `make test` timed below checks
# that the docs are current with what docs/measured/ holds, so it must not change under it.
staged=$(mktemp -d)
out="$staged/bench-$([ "$cold" = yes ] && echo cold || echo warm).txt"
log=$(mktemp)
trap 'rm -rf "$log" "$staged"' EXIT
stacks=$(python3 -m loadtest.lab --choices STACKS)

# shellcheck source=scripts/time-it.sh
. scripts/time-it.sh

if [ "$cold" = yes ]; then
  make --no-print-directory clean-all >/dev/null 2>&1 || true
  docker builder prune -af >/dev/null 2>&1 || true
  for stack in $stacks; do docker image rm "debian:$stack-slim" >/dev/null 2>&1 || true; done
fi
if ! command -v ab >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get install -y -qq apache2-utils >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq apache2-utils; } >/dev/null
  else
    echo "bench: ApacheBench (ab) is missing: install apache2-utils" >&2; exit 2
  fi
fi

# The suite: `make test` with its slowest steps (pytest's --durations) under its line, then CI's
# run, .ci/run on a fresh clone of this commit with CI=true (its own venv and .env; the images
# and build cache are this machine's). The lab is stopped first: same ports.
ci_run_on_a_fresh_clone() {
  local clone status
  clone=$(mktemp -d)
  git clone -q . "$clone"
  (cd "$clone" && CI=true bash .ci/run) && status=0 || status=$?
  rm -rf "$clone"
  return "$status"
}
suite() {
  time_it env PYTEST_ADDOPTS=--durations=12 make test
  grep -E '^[0-9.]+s +(setup|call|teardown) ' "$log" | head -n 12 | sed 's/^/  /' | tee -a "$out"
  make --no-print-directory down >/dev/null 2>&1 || true
  time_it ci_run_on_a_fresh_clone
}
# --suite: only the suite's two lines again, in place of those of the last warm bench-warm.txt.
if [ "${1:-}" = "--suite" ]; then
  warm=docs/measured/bench-warm.txt
  out=$staged/suite.txt
  echo "the suite again (bash scripts/bench.sh --suite), $(date -u +%F), commit $(git rev-parse --short HEAD):" > "$out"
  suite
  grep -vE '^make test |^env PYTEST_ADDOPTS=|^ci_run_on_a_fresh_clone|^  [0-9.]+s +(setup|call|teardown) |^the suite again' "$warm" > "$staged/kept.txt"
  cat "$staged/kept.txt" "$out" > "$warm"
  echo "written: $warm"
  exit 0
fi

# Every workshop exercise, as an attendee types it (workshop/exercises.yml), hot, one after the
# other: written apart, for docs/workshop.md.
exercises() {
  local main_out=$out
  # The exercise list is read with the lab's dev tools (a cold run has only the runtime venv).
  make --no-print-directory dev >/dev/null
  out=$staged/exercises.txt
  echo "# each exercise's command, hot, in order ($(getconf _NPROCESSORS_ONLN) cores, $(date -u +%F), commit $(git rev-parse --short HEAD))" > "$out"
  while IFS= read -r command; do
    # shellcheck disable=SC2086  # the exercise's words
    time_it $command
  done < <(.venv/bin/python -c 'from loadtest import exercises; print("\n".join(e["command"] for e in exercises.load()))')
  out=$main_out
}
if [ "$only_exercises" = yes ]; then
  exercises
  mv "$staged/exercises.txt" docs/measured/
  echo "written: docs/measured/exercises.txt"
  exit 0
fi

echo "# $([ "$cold" = yes ] && echo cold || echo warm), $(getconf _NPROCESSORS_ONLN) cores, $(date -u +%F), commit $(git rev-parse --short HEAD)" > "$out"
cat "$out"
time_it make reproduce  # cold: everything from a bare machine; warm: the lab's start

# The floor: fresh children, ab over both Hosts (150 each, 8 concurrent each, a new
# connection per request), then every task at a worker.
reproduce_times=() floor_times=()
for _ in $(seq 1 "$PAIRS"); do
  start=$(now_ns); make --no-print-directory reproduce >"$log" 2>&1 || true; reproduce_times+=("$(seconds_since "$start")")
  start=$(now_ns); bash scripts/floor.sh >/dev/null 2>&1; floor_times+=("$(seconds_since "$start")")
done
say "$(python3 - "$PAIRS" "${reproduce_times[*]}" "${floor_times[*]}" <<'PY'
import statistics, sys
pairs, hot, floor = sys.argv[1], [float(x) for x in sys.argv[2].split()], [float(x) for x in sys.argv[3].split()]
def three(xs): return f"{min(xs):.1f} / {statistics.median(xs):.1f} / {max(xs):.1f} s"
print(f"hot make reproduce against its floor, {pairs} pairs side by side (min / median / max):\n"
      f"  make reproduce {three(hot)}; floor {three(floor)}; "
      f"ratio {statistics.median(hot) / statistics.median(floor):.2f}x at the median, {max(hot) / max(floor):.2f}x at the max")
PY
)"
# How long after the last answer each witness was complete, over the last runs' reports.
say "$(.venv/bin/python - "$PAIRS" <<'PY'
import statistics, sys
from pathlib import Path
from loadtest import document
runs = [document.load(p) for p in sorted(Path("reports").glob("*-buggy-*.json"))[-int(sys.argv[1]):]]
lags = {w: [r.history.witnesses_complete_after[w] for r in runs if r.history.witnesses_complete_after.get(w) is not None] for w in ("broker", "receipts")}
print("witnesses complete after the last answer (median of those runs): the broker's firehose "
      f"{statistics.median(lags['broker']):.3f} s, the workers' receipts {statistics.median(lags['receipts']):.3f} s")
PY
)"
# The old witness: RabbitMQ's management API counters (sampled), for one more run.
say "$(.venv/bin/python - <<'PY'
import json, os, subprocess, time
from pathlib import Path
import requests
from loadtest.lab import settings
known = settings()
auth = (known["RABBITMQ_ADMIN_USER"], known["RABBITMQ_ADMIN_PASSWORD"])
url = f"http://127.0.0.1:{known['LAB_MGMT_PORT']}/api/vhosts/"
def published():
    return sum((requests.get(url + v, auth=auth, timeout=5).json().get("message_stats") or {}).get("publish", 0) for v in ("app1", "app2"))
time.sleep(6)  # the counters catch up with earlier runs (they are sampled every 5 s)
before = published()
subprocess.run(["make", "--no-print-directory", "reproduce"], capture_output=True)
from loadtest import document
run = document.load(sorted(Path("reports").glob("*-buggy-*.json"))[-1])
last = max(r.answered_at for r in run.history.results)
while published() - before < run.totals.sent and time.time() < last + 60:

    time.sleep(0.05)
print(f"the management API's publish counters (the old witness) showed the same run {time.time() - last:.1f} s after the last answer")
PY
)"
time_it make fixed
time_it make daemon
# Today's app shape: its PostgreSQL starts with the first run (its image built, the lab up).
time_it make reproduce SCENARIO=twelve-factor
time_it make fixed SCENARIO=twelve-factor
for stack in $stacks; do
  [ "$stack" = "$(echo "$stacks" | cut -d' ' -f1)" ] && continue
  time_it make reproduce STACK="$stack"  # switching stack: the other images, a new broker
  time_it make fixed STACK="$stack"
done
exercises
time_it make bundle BUNDLE_STACKS="$(echo "$stacks" | cut -d' ' -f1)"
# What a laptop needs: the images' sizes on disk, a one-stack bundle's, and a running lab's
# memory (docker stats, after a run), for docs/workshop.md.
req=$staged/requirements.txt
{
  echo "# $(date -u +%F), commit $(git rev-parse --short HEAD): disk and memory of the lab"
  # This machine's architecture's images (arm64 ones made for PLATFORM=linux/arm64 left out).
  docker image ls --format '{{.Repository}}:{{.Tag}} {{.Size}}' | grep -E "^(${LAB_NAME:-mod-wsgi-leak-lab}/.*-$(uname -m | sed 's/x86_64/amd64/; s/aarch64/arm64/') |debian:)" \
    | sort | sed 's/^/image /'
  find dist -name '*.tar' -newer "$out" -printf 'bundle %f %s bytes\n' 2>/dev/null | tail -n1
  make --no-print-directory reproduce >/dev/null 2>&1 || true
  # shellcheck disable=SC2046  # one argument per container id
  docker stats --no-stream --format 'memory {{.Name}} {{.MemUsage}}' $(docker compose ps -q)
} > "$req"
suite
mv "$staged"/*.txt docs/measured/
echo "written: docs/measured/$(basename "$out"), exercises.txt, requirements.txt"
