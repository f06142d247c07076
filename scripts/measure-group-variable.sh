#!/usr/bin/env bash
# What a write of WSGI_APP_GROUP by Python code does to routing (SCENARIO=group-variable: app2's
# entry setdefault()s it, as a .env loader would), on STACK (default: the first of choices.mk):
# app2's Host first in one Apache child, app1's first, and the default (a random first Host, two
# children), each on fresh children. Writes docs/measured/group-variable-STACK.txt: each
# command, its time, exit status and verdict line, then the per-app counts of each run.
#
#   bash scripts/measure-group-variable.sh [STACK]
set -euo pipefail
cd "$(dirname "$0")/.."
stack=${1:-$(sed -n 's/^STACKS *:= *//p' choices.mk | cut -d' ' -f1)}
mkdir -p docs/measured
out=docs/measured/group-variable-$stack.txt log=$(mktemp) counts=$(mktemp)
trap 'rm -f "$log" "$counts"' EXIT
# shellcheck source=scripts/time-it.sh
source scripts/time-it.sh
echo "# SCENARIO=group-variable on $stack, hot, $(nproc) cores, $(date -u +%F), commit $(git rev-parse --short HEAD)" > "$out"
for first in "FIRST=app2 PROCESSES=1" "FIRST=app1 PROCESSES=1" ""; do
  # shellcheck disable=SC2086  # the knobs, split on purpose
  time_it make reproduce STACK="$stack" SCENARIO=group-variable $first
  { echo "make reproduce STACK=$stack SCENARIO=group-variable${first:+ $first}:"; sed -n '/^app  /,/^total /p' "$log"; } \
    >> "$counts"
done
cat "$counts" >> "$out"
