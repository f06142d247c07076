#!/usr/bin/env bash
# Make sure `python3` is one the host side runs on (choices.mk's HOST_PYTHONS: the first is the
# oldest, pyproject.toml's requires-python) and that `python3 -m venv` works: Debian's python3
# needs the python3-venv package.
set -euo pipefail
cd "$(dirname "$0")/.."
oldest=$(sed -n 's/^HOST_PYTHONS *:= *\([0-9.]*\).*/\1/p' choices.mk)
here=$(python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null || echo none)
if ! python3 -c 'import sys; sys.exit(sys.version_info[:2] < tuple(map(int, sys.argv[1].split("."))))' "$oldest" 2>/dev/null; then
  echo "ensure-python: the lab's host side needs Python $oldest or later, and python3 here is $here; install one (python.org, Homebrew, pyenv; Ubuntu: deadsnakes) and put it first on PATH as python3." >&2
  exit 1
fi
probe=$(mktemp -d)
trap 'rm -rf "$probe"' EXIT
if python3 -m venv "$probe/venv" >/dev/null 2>&1; then exit 0; fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "ensure-python: installing python3-venv..." >&2
  DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-venv >/dev/null
  python3 -m venv "$probe/venv2" >/dev/null 2>&1 && exit 0
fi
echo "ensure-python: 'python3 -m venv' does not work; install Python 3 with venv (Debian: python3-venv)." >&2
exit 1
