#!/bin/sh
# New uWSGI workers without a new container (SERVER=uwsgi), so that every interpreter is created
# anew from a master's clean environment: SIGHUP to each uWSGI master, uWSGI's own graceful
# reload (it re-reads its ini files, the run's /srv/run/uwsgi.ini included, and forks new
# workers). The master is PID 1 (embedded.ini), or under the emperor (PROCESS_MODEL=daemon) each
# vassal's master, a child of PID 1. Returns once no old worker is left and every master has
# workers again.
set -eu
# A process's uWSGI children (nginx, started by the entrypoint, is a child of PID 1 too), told
# by the program their command line starts with (`uwsgi`, or after a reload Debian's
# /usr/bin/uwsgi-core): their names change (uWSGI 2.0.31, forky's, names workers
# `uWSGIWorker1Core0`), and their executable is not readable here (they run as www-data).
children() {
  for pid in $(cat "/proc/$1/task/"*/children 2>/dev/null || true); do
    case "$(tr '\0' '\n' < "/proc/$pid/cmdline" 2>/dev/null | head -n 1)" in uwsgi* | */uwsgi*) echo "$pid" ;; esac
  done
  return 0
}
if tr '\0' ' ' < /proc/1/cmdline | grep -q -- '--emperor'; then
  masters=$(children 1)
else
  masters=1
fi
[ -n "$masters" ] || { echo "uwsgi-fresh-workers: no uWSGI master runs" >&2; exit 1; }
old=""
for master in $masters; do old="$old $(children "$master")"; done
for master in $masters; do kill -HUP "$master"; done
for _ in $(seq 1 400); do
  left=""
  for pid in $old; do [ -d "/proc/$pid" ] && left="$left $pid"; done
  ready=yes
  for master in $masters; do [ -n "$(children "$master")" ] || ready=""; done
  if [ -z "$left" ] && [ -n "$ready" ] && curl -fsS -o /dev/null http://127.0.0.1/healthz; then
    exit 0
  fi
  sleep 0.05
done
echo "uwsgi-fresh-workers: old workers$left still running after 20 s" >&2
exit 1
