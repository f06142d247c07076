#!/usr/bin/env bash
# Wall-clock times of the commands workshops wait on. Numbers go to stdout and to
# reports/bench-<time>.txt; they are notes, never assertions.
#
#   bash scripts/bench.sh          warm: images built (both stacks), broker up
#   bash scripts/bench.sh --cold   first removes the lab's venv, wheelhouses, images, build
#                                  cache and both Debian base images (not the engine)
set -euo pipefail
cd "$(dirname "$0")/.."

cold=no
[ "${1:-}" = "--cold" ] && cold=yes
mkdir -p reports
out="reports/bench-$(date -u +%Y%m%dT%H%M%SZ).txt"

if [ "$cold" = yes ]; then
  make --no-print-directory clean-all >/dev/null 2>&1 || true
  docker builder prune -af >/dev/null 2>&1 || true
  docker image rm debian:trixie-slim debian:bookworm-slim >/dev/null 2>&1 || true
fi

now_ns() { python3 -c 'import time; print(time.time_ns())'; }  # BSD date has no %N

time_it() {
  local start end status
  start=$(now_ns)
  set +e
  "$@" >/tmp/bench-last.log 2>&1
  status=$?
  set -e
  end=$(now_ns)
  local tenths=$(( (end - start) / 100000000 ))
  printf '%-28s %5d.%d s  exit %d  %s\n' "$*" $((tenths / 10)) $((tenths % 10)) "$status" \
    "$(grep -E '^(REPRODUCED|FIXED|ISOLATED|NOT |INCONCLUSIVE)|passed|failed|^bundle: dist' /tmp/bench-last.log | tail -n1)" | tee -a "$out"
}

echo "# $( [ "$cold" = yes ] && echo cold || echo warm ), $(getconf _NPROCESSORS_ONLN) cores, $(date -u +%FT%TZ)" | tee "$out"
time_it make reproduce                  # cold: everything; warm: a stack switch or the first run
time_it make reproduce                  # hot: the stack already up
time_it make fixed
time_it make daemon
time_it make reproduce STACK=bookworm   # switching stack: the other images, a new broker
time_it make fixed STACK=bookworm
time_it make reproduce
time_it make try-fix                    # the workshop's workspace (as it is)
time_it make bundle BUNDLE_STACKS=trixie
time_it make test
echo "saved: $out"
