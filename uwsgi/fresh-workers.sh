#!/bin/sh
# New uWSGI workers without a new container (SERVER=uwsgi), so that every interpreter is created
# anew from the master's clean environment: SIGHUP to the master (PID 1), uWSGI's own graceful
# reload (it re-reads uwsgi/lab.ini and the run's /srv/run/uwsgi.ini, and forks new workers).
# Returns once no old worker is left and the new ones run.
set -eu
children() { cat /proc/1/task/*/children 2>/dev/null; }
workers() {
  for pid in $(children); do
    [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = uwsgi ] && echo "$pid"
  done
  return 0
}
old=$(workers)
kill -HUP 1
for _ in $(seq 1 400); do
  left=""
  for pid in $old; do [ -d "/proc/$pid" ] && left="$left $pid"; done
  now=$(workers)
  if [ -z "$left" ] && [ -n "$now" ] && [ -S /run/uwsgi/lab.sock ] && curl -fsS -o /dev/null http://127.0.0.1/healthz; then
    exit 0
  fi
  sleep 0.05
done
echo "uwsgi-fresh-workers: old workers$left still running after 20 s" >&2
exit 1
