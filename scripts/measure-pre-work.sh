#!/usr/bin/env bash
# The workshop's pre-work, measured from a fresh clone of this checkout's HEAD (in a temporary
# folder, with a Compose project and image names of its own, LAB_NAME=prework-measure, so that
# its images are built, not found; Docker's build cache is the engine's and is kept): `make
# pre-work`, then `make bundle` of the stacks the pre-work readied (its size), then `make
# load-bundle` of it with no network at all (`unshare -n`, as root). Also what the pre-work
# downloaded: the bytes received on the machine's network interfaces meanwhile (Linux's
# /proc/net/dev; the engine's own bridges and loopback left out). With --no-build-cache Docker's
# build cache is emptied first, as on a laptop that never built the lab (the Debian base images
# are kept). Writes docs/measured/pre-work.txt.
#   bash scripts/measure-pre-work.sh [--no-build-cache]
set -euo pipefail
cache="Docker's build cache kept"
if [ "${1:-}" = --no-build-cache ]; then
  cache="Docker's build cache emptied first, the Debian base images kept"
  docker builder prune -af >/dev/null
fi
# Bytes received on the machine's own interfaces (not lo, docker0, br-*, veth*).
received() { sed 's/:/ /' /proc/net/dev | awk 'NR > 2 && $1 !~ /^(lo|docker|br-|veth)/ { sum += $2 } END { printf "%.0f\n", sum }'; }
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
echo "# bash scripts/measure-pre-work.sh: a fresh clone of $(git rev-parse --short HEAD), $(date -u +%F), $(getconf _NPROCESSORS_ONLN) cores (LAB_NAME=$LAB_NAME; $cache)" > "$out"
before=$(received)
time_it make pre-work
say "downloaded during make pre-work: $(( ($(received) - before) / 1000000 )) MB received on the machine's network interfaces (/proc/net/dev)"
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
