#!/usr/bin/env bash
# The workshop's pre-work, measured from a fresh clone of this checkout's HEAD (in a temporary
# folder, with a Compose project and image names of its own, LAB_NAME=prework-measure, so that
# its images are built, not found; Docker's build cache is the engine's and is kept): `make
# pre-work`, then `make bundle` of the stacks the pre-work readied (its size), then `make
# load-bundle` of it with no network at all (`unshare -n`, as root). Writes
# docs/measured/pre-work.txt.
#   bash scripts/measure-pre-work.sh
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
log=$(mktemp)
place=$(mktemp -d)
export LAB_NAME=prework-measure LAB_HTTP_PORT=8480 LAB_MGMT_PORT=16072  # beside any other lab
trap 'rm -rf "$log" "$place"' EXIT
# shellcheck source=scripts/time-it.sh
. scripts/time-it.sh
git clone -q "$root" "$place/lab"
cd "$place/lab"
out="$place/pre-work.txt"
echo "# bash scripts/measure-pre-work.sh: a fresh clone of $(git rev-parse --short HEAD), $(date -u +%F), $(getconf _NPROCESSORS_ONLN) cores (LAB_NAME=$LAB_NAME; Docker's build cache kept)" > "$out"
time_it make pre-work
stacks="$(python3 -m loadtest.lab --choices STACKS | cut -d' ' -f1) $(.venv/bin/python -m loadtest.exercises --needs | sed -n 's/.*STACK=\([a-z]*\).*/\1/p' | sort -u | tr '\n' ' ')"
time_it make bundle BUNDLE_STACKS="$stacks"
bundle=$(find dist -name '*.tar' -printf '%T@ %p\n' | sort -n | tail -n1 | cut -d' ' -f2)
say "bundle $(basename "$bundle"): $(du -m "$bundle" | cut -f1) MB for stacks $stacks"
if [ "$(id -u)" = 0 ]; then
  rm -f .venv/.installed wheelhouse/*/.complete
  time_it unshare -n make load-bundle BUNDLE="$bundle"
else
  say "make load-bundle offline: not measured (unshare -n needs root)"
fi
make --no-print-directory down >/dev/null 2>&1 || true
docker image ls --format '{{.Repository}}:{{.Tag}}' | grep "^$LAB_NAME/" | xargs -r docker image rm >/dev/null 2>&1 || true
cp "$out" "$root/docs/measured/pre-work.txt"
cat "$root/docs/measured/pre-work.txt"
