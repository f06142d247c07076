#!/usr/bin/env bash
# The CI workflow's job as GitHub's hosted runner runs it, proven on this machine: a non-root
# user `runner` in the docker group with passwordless sudo (what ubuntu-latest gives a job), a
# fresh clone of this checkout's HEAD in its home, and the workflow's own run steps
# (scripts/workflow_steps.py: each step's command and env, for one matrix stack), run as that
# user. First it gives that user what a runner image has preinstalled and this machine may lack:
# sudo, Docker Compose v2 for every user, python3 with venv.
#
#   bash scripts/ci-as-runner.sh [STACK]      as root; STACK defaults to choices.mk's first
#
# Writes the steps, their exit status and time to reports/ci-as-runner-<time>.txt (and the
# whole log beside it); exits with the first failing step's status.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
die() { printf 'ci-as-runner: %s\n' "$*" >&2; exit 2; }
[ "$(id -u)" = 0 ] || die "run it as root: it creates the user runner and gives it passwordless sudo."
[ -x .venv/bin/python ] || die "no .venv here: run make dev first (the workflow's steps are read with it)."
stack=${1:-$(sed -n 's/^STACKS *:= *\([^ ]*\).*/\1/p' choices.mk)}

export DEBIAN_FRONTEND=noninteractive
need=()
command -v sudo >/dev/null || need+=(sudo)
python3 -c 'import ensurepip' 2>/dev/null || need+=(python3-venv)
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -qq >/dev/null && apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
id runner >/dev/null 2>&1 || useradd --create-home --shell /bin/bash runner
usermod -aG docker runner
echo 'runner ALL=(ALL) NOPASSWD:ALL' > /etc/sudoers.d/runner && chmod 0440 /etc/sudoers.d/runner
if ! sudo -u runner -H docker compose version >/dev/null 2>&1; then
  # GitHub's image has Compose v2 for every user: install this machine's plug-in system-wide.
  plugin=$(docker info --format '{{range .ClientInfo.Plugins}}{{if eq .Name "compose"}}{{.Path}}{{end}}{{end}}')
  [ -n "$plugin" ] || die "no Docker Compose v2 plug-in here to give the runner: run make docker first."
  install -D -m 0755 "$(readlink -f "$plugin")" /usr/local/lib/docker/cli-plugins/docker-compose
fi

home=/home/runner
clone="$home/work/mod-wsgi-leak-lab"
rm -rf "$clone"
sudo -u runner -H mkdir -p "$home/work"
git clone -q "$root" "$clone"
chown -R runner:runner "$clone"

stamp=$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p reports
record="reports/ci-as-runner-$stamp.txt"
log="reports/ci-as-runner-$stamp.log"
echo "# the workflow's run steps, stack $stack, as user runner in a fresh clone of $(git rev-parse --short HEAD)" | tee "$record"
status=0
while IFS= read -r step; do
  run=$(.venv/bin/python -c 'import json, sys; print(json.loads(sys.argv[1])["run"])' "$step")
  env=$(.venv/bin/python -c 'import json, sys; print(" ".join(f"{k}={v}" for k, v in json.loads(sys.argv[1])["env"].items()))' "$step")
  started=$(date +%s)
  set +e
  # A login-like environment, as a runner's: nothing of root's environment leaks in.
  # shellcheck disable=SC2086  # env holds KEY=VALUE words
  (cd "$clone" && sudo -u runner -H env -i HOME="$home" USER=runner LANG=C.UTF-8 \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin $env bash -eo pipefail -c "$run") >>"$log" 2>&1
  code=$?
  set -e
  printf '%s  (env %s): exit %d in %d s\n' "$run" "$env" "$code" "$(( $(date +%s) - started ))" | tee -a "$record"
  if [ "$code" -ne 0 ]; then status=$code; break; fi
done < <(.venv/bin/python "$clone/scripts/workflow_steps.py" "$stack")
grep -E '^=+ .*(passed|failed|error).* =+$' "$log" | tail -n1 | tee -a "$record" || true
echo "log: $log" | tee -a "$record"
exit "$status"
