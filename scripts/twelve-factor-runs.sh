#!/usr/bin/env bash
# SCENARIO=twelve-factor on one stack, measured: `make reproduce`, `make fixed`, `make daemon`, each
# twelve-factor sample fix (`make try-fix FIX=...`), each followed by what PostgreSQL holds and
# whose keys signed the answers (python -m loadtest.database: rows per database and per Host
# app, signatures per key); then SCENARIO=time-zone (reproduce, fixed, daemon) with what the
# answers' clocks showed (python -m loadtest.clock). Writes docs/measured/twelve-factor-STACK.txt.
#   bash scripts/twelve-factor-runs.sh STACK [KNOB=VALUE ...]
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -ge 1 ] || { echo "usage: twelve-factor-runs.sh STACK [KNOB=VALUE ...]" >&2; exit 2; }
stack=$1
shift
out="docs/measured/twelve-factor-$stack.txt"
mkdir -p docs/measured
{
  echo "# bash scripts/twelve-factor-runs.sh $stack $*  ($(date -u +%F), commit $(git rev-parse --short HEAD))"
  echo "# rows_*: where PostgreSQL holds each request's row (own database, the other app's, both,"
  echo "# refused with PostgreSQL's error, none); signed_*: whose SECRET_KEY signed the answer."
} > "$out"
run() {  # run SCENARIO TARGET [KNOB=VALUE ...]: one make run, its verdict, then what the witnesses say
  local scenario=$1 target=$2 output report
  shift 2
  echo >> "$out"
  echo "\$ make $target STACK=$stack SCENARIO=$scenario $*" | tee -a "$out"
  output=$(make --no-print-directory "$target" STACK="$stack" SCENARIO="$scenario" "$@" 2>/dev/null || true)
  grep -E '^(REPRODUCED|FIXED|ISOLATED|NOT |INCONCLUSIVE)' <<<"$output" | tee -a "$out" || true
  # The run's JSON, from its "Report:" line.
  report=$(sed -nE 's/^Report: .*, ([^,]+\.json),.*/\1/p' <<<"$output")
  [ -n "$report" ] || { echo "no report: the run did not finish" | tee -a "$out"; return; }
  if [ "$scenario" = twelve-factor ]; then
    .venv/bin/python -m loadtest.database "$report" \
      --compose "env LAB_STACK=$stack LAB_SCENARIO=$scenario docker compose" | tee -a "$out"
  else
    .venv/bin/python -m loadtest.clock "$report" | tee -a "$out"
  fi
}
run twelve-factor reproduce "$@"
run twelve-factor fixed "$@"
run twelve-factor daemon "$@"
for fix in twelve-factor-eager twelve-factor-override twelve-factor-dict; do
  run twelve-factor try-fix FIX="$fix" "$@"
done
for target in reproduce fixed daemon; do
  run time-zone "$target" FIRST=app1 "$@"
done
