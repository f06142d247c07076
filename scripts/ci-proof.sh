#!/usr/bin/env bash
# Both CI paths, proven on this machine, each in a fresh clone of this checkout's HEAD:
# 1. the workflow's job as GitHub's hosted runner runs it: a non-root user `runner` in the
#    docker group with passwordless sudo (what ubuntu-latest gives a job), and the workflow's
#    own run steps (loadtest.tools.workflow_steps: each step's command and env, for one matrix
#    stack) run as that user. First it gives that user what a runner image has preinstalled and
#    this machine may lack: sudo, Docker Compose v2 for every user, python3 with venv.
# 2. `CI=true bash .ci/run` as root, as this project's CI runs it.
#
#   bash scripts/ci-proof.sh [STACK]      as root; STACK defaults to choices.mk's first
#
# Writes each command, its exit status, time and pytest's summary to docs/measured/ci-proof.txt
# (`make docs` puts it in docs/testing.md; the logs go to reports/); exits with the first
# failing command's status.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
die() { printf 'ci-proof: %s\n' "$*" >&2; exit 2; }
[ "$(id -u)" = 0 ] || die "run it as root: it creates the user runner and gives it passwordless sudo."
[ -x .venv/bin/python ] || die "no .venv here: run make dev first (the workflow's steps are read with it)."
stack=${1:-$(python3 -m loadtest.lab --choices STACKS | cut -d' ' -f1)}

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
mkdir -p reports docs/measured
record=docs/measured/ci-proof.txt
log="reports/ci-proof-$stamp.log"
echo "# $(date -u +%F), commit $(git rev-parse --short HEAD), $(getconf _NPROCESSORS_ONLN) cores; logs in $log" > "$record"
summary() { grep -E '^=+ .*(passed|failed|error).* =+$' "$log" | tail -n1 | tr -d '='; }
status=0
echo "as user runner (passwordless sudo, group docker), the workflow's run steps, stack $stack:" | tee -a "$record"
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
  printf '  %s %s: exit %d in %d s;%s\n' "$env" "$run" "$code" "$(( $(date +%s) - started ))" "$(summary)" | tee -a "$record"
  if [ "$code" -ne 0 ]; then status=$code; break; fi
done < <(cd "$clone" && "$root/.venv/bin/python" -m loadtest.tools.workflow_steps "$stack")

if [ "$status" -eq 0 ]; then
  echo "as root, .ci/run (what this project's CI runs):" | tee -a "$record"
  root_clone=$(mktemp -d /tmp/ci-proof.XXXXXX)
  git clone -q "$root" "$root_clone/lab"
  started=$(date +%s)
  set +e
  (cd "$root_clone/lab" && env CI=true bash .ci/run) >>"$log" 2>&1
  code=$?
  set -e
  printf '  CI=true bash .ci/run: exit %d in %d s;%s\n' "$code" "$(( $(date +%s) - started ))" "$(summary)" | tee -a "$record"
  (cd "$root_clone/lab" && make --no-print-directory down >/dev/null 2>&1) || true
  rm -rf "$root_clone"
  status=$code
fi
exit "$status"
