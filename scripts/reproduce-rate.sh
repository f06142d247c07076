#!/usr/bin/env bash
# How often a buggy fresh-Apache trial reproduces, per stack, requests per trial and ramp-up:
# the measurement the test trials and the default RAMP_UP are sized from. One line per
# setting; a run that gave no verdict at all is counted apart, never as "not reproduced".
#
#   bash scripts/reproduce-rate.sh STACK STARTS REQUESTS RAMP_UP [REQUESTS RAMP_UP ...]
#   bash scripts/reproduce-rate.sh trixie 50 40 0.5 40 1
set -euo pipefail
cd "$(dirname "$0")/.."
stack=$1 starts=$2
shift 2
make --no-print-directory up STACK="$stack" CODE=buggy >/dev/null
while [ $# -ge 2 ]; do
  requests=$1 ramp_up=$2
  shift 2
  reproduced=0 not_reproduced=0 other=0
  for _ in $(seq 1 "$starts"); do
    verdict=$(make --no-print-directory reproduce STACK="$stack" REQUESTS="$requests" RAMP_UP="$ramp_up" \
      2>/dev/null | grep -oE '^(REPRODUCED|NOT REPRODUCED|INCONCLUSIVE)' || true)
    case "$verdict" in
      REPRODUCED) reproduced=$((reproduced + 1)) ;;
      "NOT REPRODUCED") not_reproduced=$((not_reproduced + 1)) ;;
      *) other=$((other + 1)) ;;
    esac
  done
  echo "stack $stack, $requests requests, ramp-up $ramp_up s: $reproduced of $starts fresh starts REPRODUCED," \
    "$not_reproduced NOT REPRODUCED, $other without a verdict"
done
