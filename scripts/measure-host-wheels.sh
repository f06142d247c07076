#!/usr/bin/env bash
# Whether one bundle's host wheels ready the host side on every Python a laptop may have: the
# wheels `make bundle` downloads for Linux (choices.mk's HOST_PYTHONS, scripts/bundle.sh), then for
# each Python given (pyenv's, say) a venv installed from them alone (--no-index, as
# load-bundle.sh does) and the load test's modules imported. Writes docs/measured/host-wheels.txt.
#   bash scripts/measure-host-wheels.sh PYTHON...
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -gt 0 ] || { echo "measure-host-wheels: name the Pythons to try (e.g. ~/.pyenv/versions/3.11.7/bin/python3)" >&2; exit 2; }
machine=$(uname -m)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
out=docs/measured/host-wheels.txt
{
  echo "# bash scripts/measure-host-wheels.sh: $(date -u +%Y-%m-%d), commit $(git rev-parse --short HEAD), Linux $machine"
  read -ra versions <<< "$(python3 -m loadtest.lab --choices HOST_PYTHONS)"
  for version in "${versions[@]}"; do
    .venv/bin/pip download -q --disable-pip-version-check --only-binary=:all: \
      --platform "manylinux2014_$machine" --platform "manylinux_2_17_$machine" --platform "manylinux_2_28_$machine" \
      --platform "linux_$machine" --python-version "$version" --implementation cp \
      -r requirements/host.txt -d "$work/wheels" 2>/dev/null
  done
  echo "host wheels for CPython ${versions[*]}: $(find "$work/wheels" -name '*.whl' | wc -l) files, $(du -sm "$work/wheels" | cut -f1) MB"
  for python in "$@"; do
    version=$("$python" -c 'import platform; print(platform.python_version())')
    "$python" -m venv "$work/venv-$version"
    if "$work/venv-$version/bin/pip" install -q --disable-pip-version-check --no-index --find-links "$work/wheels" \
        -r requirements/host.txt 2>/dev/null \
      && "$work/venv-$version/bin/python" -c 'import loadtest.spec, loadtest.exercises, loadtest.report_html, loadtest.slides' 2>/dev/null; then
      echo "Python $version: the venv installed offline from them, and the load test's modules import"
    else
      echo "Python $version: FAILED to install or import offline"
    fi
  done
} | tee "$out"
