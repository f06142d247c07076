#!/usr/bin/env bash
# How often `make reproduce` says REPRODUCED, over STARTS runs in a row, each on fresh Apache
# children (hot: the broker and workers stay up) or from a stopped lab (--down: `make down`
# before each run, so the broker boots again). A run that gave no verdict at all is counted
# apart, never as "not reproduced" (INCONCLUSIVE or no report at all). Writes one line to
# docs/measured/reproduce-rate-STACK-{hot,down}[-KNOBS].txt (`make docs` puts it in
# docs/timings.md).
#
#   bash scripts/reproduce-rate.sh [--down] STACK STARTS [KNOB=VALUE ...]
#   bash scripts/reproduce-rate.sh --down trixie 30
#   bash scripts/reproduce-rate.sh trixie 30 FIRST=burst REQUESTS=40
set -euo pipefail
cd "$(dirname "$0")/.."
mode=hot
if [ "${1:-}" = "--down" ]; then mode=down; shift; fi
[ $# -ge 2 ] || { echo "usage: reproduce-rate.sh [--down] STACK STARTS [KNOB=VALUE ...]" >&2; exit 2; }
stack=$1 starts=$2
shift 2
knobs=("$@")
suffix=$(printf -- '-%s' "${knobs[@]}" | tr '=/' '__' | tr '[:upper:]' '[:lower:]')
[ ${#knobs[@]} -gt 0 ] || suffix=""
mkdir -p docs/measured
out="docs/measured/reproduce-rate-$stack-$mode$suffix.txt"
reproduced=0 not_reproduced=0 other=0 misrouted=() seconds=()
for _ in $(seq 1 "$starts"); do
  [ "$mode" = down ] && make --no-print-directory down >/dev/null 2>&1
  start=$(date +%s%N)
  make --no-print-directory reproduce STACK="$stack" "${knobs[@]}" >/dev/null 2>&1 || true
  seconds+=("$(( ($(date +%s%N) - start) / 100000000 ))")
  # The run's answer, from its report (reports/latest.json): every verdict kind is counted.
  read -r kind count < <(.venv/bin/python -m loadtest.answer kind misrouted 2>/dev/null || echo none 0)
  case "$kind" in
    REPRODUCED) reproduced=$((reproduced + 1)); misrouted+=("$count") ;;
    NOT_REPRODUCED) not_reproduced=$((not_reproduced + 1)); misrouted+=("$count") ;;
    *) other=$((other + 1)) ;;
  esac
done
python3 - "$stack" "$mode" "$starts" "${knobs[*]:-defaults}" "$reproduced" "$not_reproduced" "$other" \
  "${misrouted[*]:-}" "${seconds[*]}" "$(date -u +%F)" "$(git rev-parse --short HEAD)" > "$out" <<'PY'
import statistics, sys
stack, mode, starts, knobs, yes, no, other, misrouted, tenths, day, commit = sys.argv[1:]
m = [int(x) for x in misrouted.split()] or [0]
t = [int(x) / 10 for x in tenths.split()]
how = "from a stopped lab (make down before each)" if mode == "down" else "hot (the broker and workers up)"
print(f"stack {stack}, {knobs}, {starts} runs {how}: {yes} REPRODUCED, {no} NOT REPRODUCED, {other} without a "
      f"verdict; misrouted per run {min(m)} / {statistics.median(m):g} / {max(m)}, seconds per run "
      f"{min(t):.1f} / {statistics.median(t):.1f} / {max(t):.1f} (min / median / max; {day}, {commit})")
PY
cat "$out"
