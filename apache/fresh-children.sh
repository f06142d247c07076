#!/bin/sh
# New Apache child processes without a new container, so mod_wsgi creates every interpreter
# anew from the parent's clean environment. Returns once no old child is left.
#   apache-fresh-children            between runs: SIGHUP to the Apache parent (PID 1) stops
#                                    the children at once (0.2 s; nothing is in flight)
#   apache-fresh-children graceful   mid-run (FAULT=apache-recycle): SIGUSR1, a graceful
#                                    restart; old children finish their requests first
set -eu
signal=HUP
[ "${1:-}" = graceful ] && signal=USR1
children() { cat /proc/1/task/*/children 2>/dev/null; }
old=$(children)
kill -"$signal" 1
for _ in $(seq 1 200); do
  left=""
  for pid in $old; do [ -d "/proc/$pid" ] && left="$left $pid"; done
  if [ -z "$left" ] && [ -n "$(children)" ] && curl -fsS -o /dev/null http://127.0.0.1/healthz; then
    exit 0
  fi
  sleep 0.05
done
echo "apache-fresh-children: old children$left still running after 10 s" >&2
exit 1
