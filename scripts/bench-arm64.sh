#!/usr/bin/env bash
# The lab on linux/arm64 where the machine is not arm64 (qemu-user through binfmt_misc): what an
# Apple Silicon section can honestly say when no Mac was at hand. Writes
# docs/measured/arm64-emulated.txt (`make docs` puts it in docs/workshop.md and
# docs/timings.md): notes, never assertions.
#
#   bash scripts/bench-arm64.sh [RUNS]    (RUNS per reproduce rate; default 10)
#
# Cold: the arm64 base image, the lab's arm64 images and the build cache are removed first
# (this machine's own images stay), so `make docker` debootstraps and `make images` builds
# everything under emulation. Then one run each of reproduce, fixed and the bad-credentials
# scenario, and the reproduce rate hot with the default knobs and with FIRST=app2 PROCESSES=1.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-10}
platform=linux/arm64
stack=$(python3 -m loadtest.lab --choices STACKS | cut -d' ' -f1)
out=docs/measured/arm64-emulated.txt
log=$(mktemp)
trap 'rm -f "$log"' EXIT
mkdir -p docs/measured
# shellcheck source=scripts/time-it.sh
. scripts/time-it.sh

echo "# $stack on $platform, emulated on $(uname -m) ($(getconf _NPROCESSORS_ONLN) cores), $(date -u +%F), commit $(git rev-parse --short HEAD)" | tee "$out"
make --no-print-directory down >/dev/null 2>&1 || true
docker image rm "mod-wsgi-leak-lab/python-apps:$stack-mod_wsgi-stack-arm64" "mod-wsgi-leak-lab/rabbitmq:$stack-arm64" \
  "arm64v8/debian:$stack-slim" >/dev/null 2>&1 || true
docker builder prune -af >/dev/null 2>&1 || true
time_it make docker PLATFORM=$platform
time_it make images PLATFORM=$platform
time_it make reproduce PLATFORM=$platform
grep -E '^Versions measured' "$log" | tee -a "$out"
time_it make fixed PLATFORM=$platform
time_it make reproduce SCENARIO=bad-credentials FIRST=app2 PROCESSES=1 PLATFORM=$platform
grep -E "Couldn't log in" "$log" | head -n1 | sed -E 's/^ +//' | tee -a "$out"
for knobs in "" "FIRST=app2 PROCESSES=1"; do
  # shellcheck disable=SC2086  # the knobs' words
  bash scripts/reproduce-rate.sh "$stack" "$runs" PLATFORM=$platform $knobs | tee -a "$out"
done
make --no-print-directory down >/dev/null 2>&1 || true
echo "written: $out"
