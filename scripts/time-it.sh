# Sourced by the measuring scripts (bench.sh, bench-arm64.sh): time a command as a whole and
# write one line for it to "$out", its output to "$log" (both set by the caller).
# shellcheck shell=bash disable=SC2154  # out and log are the caller's
now_ns() { python3 -c 'import time; print(time.time_ns())'; }  # BSD date has no %N
seconds_since() { python3 -c "import sys, time; print(f'{(time.time_ns() - int(sys.argv[1])) / 1e9:.1f}')" "$1"; }
say() { echo "$*" | tee -a "$out"; }
# What the command ended with: a lab run's verdict from its report (reports/latest.json, when
# this command wrote it), else pytest's summary or make bundle's archive line.
last_line() {
  if [ reports/latest.json -nt "$log.start" ]; then .venv/bin/python -m loadtest.answer line; return; fi
  grep -E '[0-9]+ passed|^bundle: dist' "$log" | tail -n1 || true
}
time_it() {  # time_it COMMAND...: one line: the command, its time, its exit status, its last word
  local start status
  start=$(now_ns)
  touch "$log.start"
  set +e
  "$@" </dev/null >"$log" 2>&1  # stdin closed: a caller looping over `read` keeps its lines
  status=$?
  set -e
  say "$(printf '%-58s %6s s  exit %d  %s' "$*" "$(seconds_since "$start")" "$status" "$(last_line)")"
}
