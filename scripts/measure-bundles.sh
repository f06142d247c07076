#!/usr/bin/env bash
# What `make bundle` costs a facilitator: a one-stack bundle of each stack, every stack in one,
# and the Apple Silicon one (linux/arm64, trixie: its images built under emulation first, timed
# apart when they are missing). Each line: the command, its time, the archive and its size.
# Writes docs/measured/bundles.txt (`make docs` puts it in docs/workshop.md).
#   bash scripts/measure-bundles.sh
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(mktemp)
log=$(mktemp)
trap 'rm -f "$out" "$log"' EXIT
# shellcheck source=scripts/time-it.sh
. scripts/time-it.sh
stacks=$(python3 -m loadtest.lab --choices STACKS)
echo "# bash scripts/measure-bundles.sh: $(date -u +%F), commit $(git rev-parse --short HEAD), $(getconf _NPROCESSORS_ONLN) cores (images built, so each line is the saving and compressing)" > "$out"
cat "$out"
for stack in $stacks; do time_it make bundle BUNDLE_STACKS="$stack"; done
# shellcheck disable=SC2086 # every stack, as make bundle's default
time_it make bundle BUNDLE_STACKS="$stacks"
time_it make images STACK=trixie PLATFORM=linux/arm64
time_it make bundle BUNDLE_PLATFORM=linux/arm64 BUNDLE_STACKS=trixie
cp "$out" docs/measured/bundles.txt
