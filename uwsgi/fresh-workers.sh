#!/bin/sh
# New uWSGI workers without a new container (SERVER=uwsgi), so that every interpreter is created
# anew from a master's clean environment: SIGHUP to each uWSGI master, uWSGI's own graceful
# reload (it re-reads its ini files, the run's /srv/run/uwsgi.ini included, and forks new
# workers). The master is PID 1 (embedded.ini), or under the emperor (PROCESS_MODEL=daemon) each
# vassal's master, a child of PID 1. Returns once no old worker is left and every master has
# workers again.
set -eu
# A process's uWSGI children (nginx, started by the entrypoint, is a child of PID 1 too). uWSGI
# runs as `uwsgi` until its first reload, then as the binary it found (`uwsgi-core`, Debian's).
children() {
  for pid in $(cat "/proc/$1/task/"*/children 2>/dev/null || true); do
    case "$(cat "/proc/$pid/comm" 2>/dev/null)" in uwsgi | uwsgi-core) echo "$pid" ;; esac
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
