#!/bin/sh
# New Apache child processes without a new container: a graceful restart (SIGUSR1 to the
# Apache parent, PID 1) replaces every child, so mod_wsgi creates every interpreter anew,
# from the parent's clean environment. Returns once no old child is left.
set -eu
children() { cat /proc/1/task/*/children 2>/dev/null; }
old=$(children)
kill -USR1 1
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
