#!/usr/bin/env bash
# Whether one bundle readies laptops whatever their Python: tests/integration/test_bundle.py
# with BUNDLE_PYTHONS set (`make bundle` once; then for each Python given, as that laptop's
# python3 and against an empty Docker engine of its own, `make load-bundle` with no network and
# `make reproduce` with nothing built or downloaded). Writes docs/measured/bundle-pythons.txt.
# Needs root or passwordless sudo, as the test does.
#   bash scripts/measure-bundle-pythons.sh PYTHON...      (pyenv's, say)
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -gt 0 ] || { echo "measure-bundle-pythons: name the Pythons to try (e.g. ~/.pyenv/versions/3.10.13/bin/python3)" >&2; exit 2; }
out=docs/measured/bundle-pythons.txt
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
BUNDLE_PYTHONS="$*" .venv/bin/python -m pytest -q -s tests/integration/test_bundle.py >"$log" 2>&1 || status=$?
{
  echo "# bash scripts/measure-bundle-pythons.sh with pyenv's Pythons, $(date -u +%F), commit $(git rev-parse --short HEAD), Linux $(uname -m)"
  grep -E '^make bundle: |bundle proof: Python ' "$log" | sed 's/^.*\(make bundle: \|bundle proof: \)/\1/' || true
  tail -n 1 "$log" | sed 's/^=* *//; s/ *=*$//'
} | tee "$out"
if [ "$status" != 0 ]; then
  kept="${TMPDIR:-/tmp}/measure-bundle-pythons.log"
  cp "$log" "$kept"
  echo "measure-bundle-pythons: pytest exited $status; its whole output: $kept" >&2
fi
exit "$status"
