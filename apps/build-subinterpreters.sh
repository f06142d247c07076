#!/bin/sh
# Compiles apps/subinterpreters.c (the root cause probe's embedding witness) against the Python
# that PYTHON runs, with that Python's own pythonX.Y-config (--embed where it knows the option:
# 3.8+; 3.6 and 3.7 print their usage for it), into OUTPUT. The image builds run it
# (apps/Dockerfile), and so does `make root-cause PYTHON=...` on the host. What is missing is
# one line saying what to install, exit 2.
#
#   sh apps/build-subinterpreters.sh PYTHON OUTPUT
set -eu
fail() { echo "root-cause: $*" >&2; exit 2; }
[ $# -eq 2 ] || fail "usage: build-subinterpreters.sh PYTHON OUTPUT"
python=$1 output=$2
source=$(dirname "$0")/subinterpreters.c
case "$python" in
  */*) [ -f "$python" ] && [ -x "$python" ] || fail "PYTHON=$python is not an executable file" ;;
  *) command -v "$python" >/dev/null || fail "PYTHON=$python is not a command on PATH" ;;
esac
# Its version, implementation and prefix (a venv's or a virtualenv's base Python: the one with
# the headers and the library).
about=$("$python" -c 'import platform, sys
print("%d.%d %s %s" % (sys.version_info[0], sys.version_info[1], platform.python_implementation(),
    getattr(sys, "real_prefix", None) or getattr(sys, "base_prefix", sys.prefix)))' 2>/dev/null) \
  || fail "PYTHON=$python did not run as a Python interpreter"
# shellcheck disable=SC2086  # three words, split on purpose
set -- $about
version=$1 implementation=$2 prefix=$3
[ "$implementation" = CPython ] || fail "PYTHON=$python is $implementation: the probe embeds CPython (Py_NewInterpreter)"
command -v gcc >/dev/null || fail "no C compiler: install gcc (Debian: apt-get install gcc libc6-dev)"
config=$prefix/bin/python$version-config
[ -x "$config" ] || config=$(command -v "python$version-config" || true)
[ -n "$config" ] && [ "$("$config" --prefix)" = "$prefix" ] \
  || fail "no python$version-config for the Python in $prefix: install its development files (Debian: apt-get install python$version-dev)"
embed=
"$config" --ldflags --embed >/dev/null 2>&1 && embed=--embed
mkdir -p "$(dirname "$output")"
# Word splitting of the flags is intended: each config prints a list of options.
# shellcheck disable=SC2046
gcc -o "$output" "$source" $("$config" --cflags) $("$config" --ldflags $embed) \
  || fail "gcc could not build the probe against $config (its output is above): are python$version's headers installed (Debian: python$version-dev)?"
