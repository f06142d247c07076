#!/usr/bin/env bash
# What a facilitator sizes a room by, read from this machine (nothing is built or pulled):
# the images the pre-work readies (docker image inspect, per image and in all), the wheels it
# downloads (du of wheelhouse/), and with --postgres the resident memory of the PostgreSQL
# image that SCENARIO=twelve-factor adds, started idle for a moment in a container of its own
# and removed again. Writes docs/measured/room-sizes.txt.
#   bash scripts/measure-room-sizes.sh [--postgres]
set -euo pipefail
cd "$(dirname "$0")/.."
name=${LAB_NAME:-mod-wsgi-leak-lab}
arch=$(docker info --format '{{.Architecture}}' | sed 's/x86_64/amd64/; s/aarch64/arm64/')
out=docs/measured/room-sizes.txt
# The pre-work's stacks: what `python -m loadtest.exercises --needs` lists (trixie with
# PostgreSQL, bullseye without), each with its Debian base image.
images=(
  "$name/python-apps:trixie-mod_wsgi-stack-$arch" "$name/rabbitmq:trixie-$arch" "$name/postgres:trixie-$arch"
  "debian:trixie-slim"
  "$name/python-apps:bullseye-mod_wsgi-stack-$arch" "$name/rabbitmq:bullseye-$arch" "debian:bullseye-slim"
)
{
  echo "# bash scripts/measure-room-sizes.sh $*: $(date -u +%Y-%m-%d), commit $(git rev-parse --short HEAD), $(nproc) cores"
  total=0
  for image in "${images[@]}"; do
    bytes=$(docker image inspect -f '{{.Size}}' "$image")
    total=$((total + bytes))
    printf 'image %-55s %5d MB\n' "$image" $((bytes / 1000000))
  done
  printf 'images of the pre-work, in all (docker image inspect; a layer two images share is counted in each): %d MB\n' $((total / 1000000))
  for wheels in wheelhouse/trixie-"$arch" wheelhouse/bullseye-"$arch"; do
    [ -d "$wheels" ] && printf 'wheels %-30s %5s MB (du)\n' "$wheels" "$(du -sm "$wheels" | cut -f1)"
  done
  if [ "${1:-}" = --postgres ]; then
    container="room-sizes-postgres-$$"
    docker run -d --rm --name "$container" -e APP1_DATABASE_PASSWORD=measure1 -e APP2_DATABASE_PASSWORD=measure2 \
      "$name/postgres:trixie-$arch" >/dev/null
    trap 'docker rm -f "$container" >/dev/null 2>&1 || true' EXIT
    for _ in $(seq 60); do docker exec "$container" postgres-healthcheck >/dev/null 2>&1 && break; sleep 1; done
    sleep 3
    echo "memory $name/postgres:trixie-$arch idle, no connection: $(docker stats --no-stream --format '{{.MemUsage}}' "$container")"
  fi
} | tee "$out"
