#!/usr/bin/env bash
# Why the Python 3 images use psycopg 3 (pure Python) and not psycopg2: on each Python 3
# stack's image, psycopg2-binary imported in sub-interpreters of one process, created the way
# mod_wsgi creates them (apps/subinterpreters.c, built in a throwaway container), first in a
# sub-interpreter, then once the main interpreter imported it first. The wheel is downloaded on
# the host; nothing is kept. Writes docs/measured/psycopg2-subinterpreters.txt.
#   bash scripts/probe-psycopg2.sh [STACK...]      (default: the Python 3 stacks; images built)
set -euo pipefail
cd "$(dirname "$0")/.."
version=2.9.11
stacks=("$@")
[ ${#stacks[@]} -gt 0 ] || stacks=(trixie bookworm forky)
name=${LAB_NAME:-$(sed -n 's/^NAME *:= *//p' choices.mk)}
out=docs/measured/psycopg2-subinterpreters.txt
wheels=$(mktemp -d)
trap 'rm -rf "$wheels"' EXIT
echo "# bash scripts/probe-psycopg2.sh ${stacks[*]}  ($(date -u +%F), commit $(git rev-parse --short HEAD))" > "$out"
for stack in "${stacks[@]}"; do
  python=$(sed -n "s/^PYTHON_VERSION_$stack *:= *//p" choices.mk)
  .venv/bin/pip download -q --disable-pip-version-check --only-binary=:all: --no-deps --platform manylinux2014_x86_64 \
    --python-version "$python" --implementation cp "psycopg2-binary==$version" -d "$wheels/$stack"
  docker run --rm --user root --entrypoint bash -v "$PWD/apps/subinterpreters.c:/tmp/subinterpreters.c:ro" \
    -v "$wheels/$stack:/wheels:ro" "$name/python-apps:$stack-mod_wsgi-stack-amd64" -c '
    set -e
    apt="apt-get -o Acquire::Check-Valid-Until=false"
    $apt update -qq >/dev/null 2>&1; $apt install -y -qq --no-install-recommends gcc libc6-dev python3-dev >/dev/null 2>&1
    /opt/venv/bin/pip install -q --no-index /wheels/*.whl
    gcc -o /tmp/subinterpreters /tmp/subinterpreters.c $(python3-config --includes) $(python3-config --ldflags --embed)
    export PYTHONHOME=/usr PYTHONPATH=$(echo /opt/venv/lib/python3*/site-packages)
    said() { grep -E "^(ok|[A-Za-z]*Error)" | tr "\n" " "; }
    echo "'"$stack"': Python $(python3 -c "import platform; print(platform.python_version())"), psycopg2-binary '"$version"':" \
      "first import in sub-interpreter a, then b: $(/tmp/subinterpreters a "import psycopg2; print(\"ok a\")" \
        b "import psycopg2; print(\"ok b\")" 2>&1 | said)|" \
      "main interpreter first, then a: $(/tmp/subinterpreters main "import psycopg2; print(\"ok main\")" \
        a "import psycopg2; print(\"ok a\")" 2>&1 | said)"' | tee -a "$out"
done
