#!/usr/bin/env bash
# How often a buggy fresh-Apache trial reproduces, per stack, requests per trial and ramp-up:
# the measurement the test trials are sized from. Prints one line per setting.
#
#   bash scripts/reproduce-rate.sh STACK STARTS REQUESTS RAMP_UP [REQUESTS RAMP_UP ...]
#   bash scripts/reproduce-rate.sh trixie 50 20 0.5 40 0.5
set -euo pipefail
cd "$(dirname "$0")/.."
stack=$1 starts=$2
shift 2
make --no-print-directory up STACK="$stack" CODE=buggy >/dev/null
while [ $# -ge 2 ]; do
  requests=$1 ramp_up=$2
  shift 2
  reproduced=0
  for _ in $(seq 1 "$starts"); do
    if make --no-print-directory reproduce STACK="$stack" REQUESTS="$requests" RAMP_UP="$ramp_up" 2>/dev/null \
      | grep -q '^REPRODUCED'; then
      reproduced=$((reproduced + 1))
    fi
  done
  echo "stack $stack: $reproduced of $starts fresh starts reproduced with $requests requests, ramp-up $ramp_up s"
done
