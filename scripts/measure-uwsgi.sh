#!/usr/bin/env bash
# SERVER=uwsgi's verdicts and what they cost, on each stack given: make reproduce, make fixed and
# make daemon with SERVER=uwsgi, then reproduce and fixed in SCENARIO=twelve-factor, each once (hot: the broker and workers stay up; the first run of
# a stack, or of another process model, recreates uWSGI's container), then the same three with
# mod_wsgi for comparison. One line per run, from its report (reports/latest.json): the verdict,
# the misrouted count (in twelve-factor also the rows written into the other app's PostgreSQL
# database), the wall time, and the server container's processes and resident memory.
# Writes docs/measured/uwsgi-runs.txt (`make docs` puts it in docs/stacks.md).
#
#   bash scripts/measure-uwsgi.sh trixie bookworm
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -ge 1 ] || { echo "usage: measure-uwsgi.sh STACK..." >&2; exit 2; }
out=docs/measured/uwsgi-runs.txt
lines=()
for stack in "$@"; do
  for server in uwsgi mod_wsgi; do
    for command in reproduce fixed daemon "reproduce SCENARIO=twelve-factor" "fixed SCENARIO=twelve-factor"; do
      start=$(date +%s%N)
      # shellcheck disable=SC2086 # the command's words: its target and its knobs
      make --no-print-directory $command STACK="$stack" SERVER="$server" >/dev/null 2>&1 || true
      tenths=$(( ($(date +%s%N) - start) / 100000000 ))
      said=$(.venv/bin/python - <<'PY'
import json
d = json.load(open("reports/latest.json"))
h, v, t = d["history"], d["checked"]["verdict"], d["checked"]["summary"]["totals"]
cost = h.get("apache_cost") or {}
versions = h["versions"]
server = "uwsgi %s, nginx %s" % (versions.get("uwsgi"), versions.get("nginx")) if versions.get("uwsgi") else \
    "mod_wsgi %s, Apache %s" % (versions.get("mod_wsgi"), versions.get("apache"))
rows = "; %d rows in the other app's database" % t["rows_other"] if d["run"]["spec"]["scenario"] == "twelve-factor" else ""
print("%s: %d of %d misrouted%s; %s processes, %s MiB resident; Python %s, %s" % (
    v["kind"], t["misrouted"], t["sent"], rows, cost.get("processes"), cost.get("rss_mib"), versions.get("python"),
    server))
PY
)
      lines+=("$(printf 'make %-9s STACK=%-8s SERVER=%-8s %5s s  %s' "$command" "$stack" "$server" \
        "$((tenths / 10)).$((tenths % 10))" "$said")")
    done
  done
done
{
  echo "# bash scripts/measure-uwsgi.sh $*, $(date -u +%F), commit $(git rev-parse --short HEAD) (hot, in this order)"
  printf '%s\n' "${lines[@]}"
} > "$out"
cat "$out"
