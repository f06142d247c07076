#!/usr/bin/env bash
# (Re)measures `make root-cause` on every CPython this machine carries: pyenv's builds
# (`pyenv root`, `pyenv versions --bare`) and each pythonX.Y on PATH; with --stacks, also in each
# stack's image. Writes docs/measured/root-cause-python-VERSION.txt and root-cause-STACK.txt,
# each starting with the command, the date and the commit (`make docs` then renders the version
# table in docs/mechanism.md from them). A Python it cannot probe (no headers, no compiler) is
# said in one line and skipped.
#
#   bash scripts/measure-root-cause.sh [--stacks]
set -euo pipefail
cd "$(dirname "$0")/.."
stacks=no
case "${1:-}" in
  --stacks) stacks=yes ;;
  "") ;;
  *) echo "usage: measure-root-cause.sh [--stacks]" >&2; exit 2 ;;
esac
mkdir -p docs/measured
day=$(date -u +%F) commit=$(git rev-parse --short HEAD)

# measure NAME SHOWN MAKE_ARGS...: run `make root-cause MAKE_ARGS`, store the probe's output
# (from its first line, without the lines saying where it falls in the stored table) as
# docs/measured/root-cause-NAME.txt, under a header naming the command as SHOWN (no path of
# this machine in it).
measure() {
  local name=$1 shown=$2 output
  shift 2
  if output=$(make --no-print-directory root-cause "$@" 2>&1); then
    { echo "# make root-cause $shown, $day, commit $commit"
      echo "$output" | sed -n "/^Python [0-9]/,\$p" | sed "/^The lab's version table/,\$d"; } \
      > "docs/measured/root-cause-$name.txt"
    echo "measure-root-cause: $shown: $(echo "$output" | grep -E '^(SHARED LIVE|COPIED AT CREATION):' | cut -d: -f1)"
  else
    echo "measure-root-cause: $shown: skipped: $(echo "$output" | grep -m1 '^root-cause:' || echo "$output" | tail -n1)"
  fi
}

# probe PYTHON SHOWN: one host Python, stored under its full version.
probe() {
  local version
  version=$("$1" -c 'import sys; print("%d.%d.%d" % sys.version_info[:3])' 2>/dev/null) || return 0
  measure "python-$version" "PYTHON=$2" PYTHON="$1"
}

found=0
if command -v pyenv >/dev/null; then
  root=$(pyenv root)
  for version in $(pyenv versions --bare); do
    [[ $version =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || continue  # CPython builds only (not pypy-, not venvs)
    minor=${version%.*}
    [ -x "$root/versions/$version/bin/python$minor" ] || continue
    echo "measure-root-cause: pyenv's $version"
    probe "$root/versions/$version/bin/python$minor" "\$(pyenv root)/versions/$version/bin/python$minor"
    found=$((found + 1))
  done
fi
# Each pythonX.Y on PATH that is not pyenv's (its shims run the builds measured above), once.
seen=" "
for name in $(compgen -c python | grep -E '^python[0-9]+\.[0-9]+$' | sort -uV); do
  for path in $(type -ap "$name"); do
    real=$(realpath "$path")
    case "$real" in *pyenv*) continue ;; esac
    case "$seen" in *" $real "*) continue ;; esac
    seen="$seen$real "
    echo "measure-root-cause: $path on PATH"
    probe "$path" "$path"
    found=$((found + 1))
  done
done
[ "$found" -gt 0 ] || echo "measure-root-cause: no Python found under pyenv or on PATH"
if [ "$stacks" = yes ]; then
  read -ra stack_names <<<"$(sed -n 's/^STACKS *:= *//p' choices.mk)"
  for stack in "${stack_names[@]}"; do
    echo "measure-root-cause: STACK=$stack (builds its images when missing: minutes)"
    make --no-print-directory images STACK="$stack" >/dev/null
    measure "$stack" "STACK=$stack" STACK="$stack"
  done
fi
