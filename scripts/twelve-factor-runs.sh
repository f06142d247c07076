#!/usr/bin/env bash
# SCENARIO=twelve-factor on one stack, measured: `make reproduce`, `make fixed`, `make daemon`, each
# twelve-factor sample fix (`make try-fix FIX=...`), each with the referee's verdict and its
# counts of what PostgreSQL holds and whose keys signed the answers (python -m loadtest.answer);
# then SCENARIO=time-zone (reproduce, fixed, daemon) with the answers' clocks in another app's
# zone. Writes docs/measured/twelve-factor-STACK.txt.
#   bash scripts/twelve-factor-runs.sh STACK [KNOB=VALUE ...]
# With --cold, what the first twelve-factor run costs instead, each from a stopped lab: the
# PostgreSQL image built with no build cache; `make reproduce SCENARIO=twelve-factor` with no
# PostgreSQL image (Docker's build cache kept: the engine's cache is shared, so it is not
# emptied here); the same with the image; `make reproduce` (no PostgreSQL) beside it.
# Writes docs/measured/twelve-factor-cold-STACK.txt.
#   bash scripts/twelve-factor-runs.sh --cold STACK
set -euo pipefail
cd "$(dirname "$0")/.."
cold=
if [ "${1:-}" = --cold ]; then cold=1; shift; fi
[ $# -ge 1 ] || { echo "usage: twelve-factor-runs.sh [--cold] STACK [KNOB=VALUE ...]" >&2; exit 2; }
stack=$1
shift
if [ -n "$cold" ]; then
  out="docs/measured/twelve-factor-cold-$stack.txt" log=$(mktemp)
  trap 'rm -f "$log"' EXIT
  # shellcheck source=scripts/time-it.sh
  . scripts/time-it.sh
  case "$(uname -m)" in x86_64) arch=amd64 ;; aarch64 | arm64) arch=arm64 ;; *) arch=$(uname -m) ;; esac
  image="${LAB_NAME:-$(sed -n 's/^NAME *:= *//p' choices.mk)}/postgres:$stack-$arch"
  echo "# bash scripts/twelve-factor-runs.sh --cold $stack  ($(date -u +%F), commit $(git rev-parse --short HEAD), load $(cut -d' ' -f1-3 /proc/loadavg))" > "$out"
  make --no-print-directory down >/dev/null 2>&1
  docker image rm "$image" >/dev/null 2>&1 || true
  time_it env COMPOSE_PROFILES=postgres LAB_STACK="$stack" docker compose build -q --no-cache postgres
  docker image rm "$image" >/dev/null
  time_it make --no-print-directory reproduce STACK="$stack" SCENARIO=twelve-factor
  make --no-print-directory down >/dev/null 2>&1
  time_it make --no-print-directory reproduce STACK="$stack" SCENARIO=twelve-factor
  make --no-print-directory down >/dev/null 2>&1
  time_it make --no-print-directory reproduce STACK="$stack"
  exit 0
fi
out="docs/measured/twelve-factor-$stack.txt"
mkdir -p docs/measured
{
  echo "# bash scripts/twelve-factor-runs.sh $stack $*  ($(date -u +%F), commit $(git rev-parse --short HEAD))"
  echo "# rows_*: where PostgreSQL holds each request's row (own database, the other app's, both,"
  echo "# refused with PostgreSQL's error, none); signed_*: whose SECRET_KEY signed the answer."
} > "$out"
run() {  # run SCENARIO TARGET [KNOB=VALUE ...]: one make run, its verdict and its counts
  local scenario=$1 target=$2
  shift 2
  echo >> "$out"
  echo "\$ make $target STACK=$stack SCENARIO=$scenario $*" | tee -a "$out"
  make --no-print-directory "$target" STACK="$stack" SCENARIO="$scenario" "$@" >/dev/null 2>&1 || true
  # The run's answer, from its report (reports/latest.json).
  .venv/bin/python -m loadtest.answer line | tee -a "$out" || { echo "no report: the run did not finish" >> "$out"; return; }
  if [ "$scenario" = twelve-factor ]; then
    echo "rows in own / other database / under the other app's name, answers signed with own / other key:" \
      "$(.venv/bin/python -m loadtest.answer rows_own rows_other rows_named_other signed_own signed_other)" | tee -a "$out"
  else
    echo "answers with a clock, and in another app's zone: $(.venv/bin/python -m loadtest.answer clocks wrong_clock)" \
      | tee -a "$out"
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
# What ran: PostgreSQL's and the Django PostgreSQL driver's versions (psycopg 3 on Python 3,
# psycopg2 on 2.7).
compose=(env LAB_STACK="$stack" COMPOSE_PROFILES=postgres docker compose)
make --no-print-directory up STACK="$stack" SCENARIO=twelve-factor >/dev/null 2>&1
{
  echo
  echo "PostgreSQL: $("${compose[@]}" exec -T postgres postgres --version)"
  echo "Driver: $("${compose[@]}" exec -T apache python -c 'import sys
name = "psycopg2" if sys.version_info < (3,) else "psycopg"
module = __import__(name)
print("%s %s (libpq %s), python-dotenv and django-environ as pinned" % (name, module.__version__.split()[0],
      module.__libpq_version__ if name == "psycopg2" else module.pq.version()))')"
} | tee -a "$out"
