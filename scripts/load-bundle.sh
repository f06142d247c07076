#!/usr/bin/env bash
# make load-bundle BUNDLE=path: make this lab ready to run from an offline bundle (make
# bundle), with no network: after it, `make reproduce` neither builds nor downloads.
# Everything is checked before anything is loaded (a corrupted or truncated bundle, a bundle
# of another version of the lab or for another architecture, host wheels for another Python):
# each refusal is one line.
#   bash scripts/load-bundle.sh [BUNDLE [ARCH]]     (make load-bundle BUNDLE=... [PLATFORM=linux/arm64]:
#   BUNDLE and PLATFORM from the environment; ARCH defaults to this machine's)
# Then: docker load of each stack's images, the venv from the bundled wheels, the images'
# wheelhouses, and the set-up stamps the Makefile checks.
set -euo pipefail

die() { printf 'load-bundle: %s\n' "$*" >&2; exit 1; }
# SHA-256 with what the machine has: GNU coreutils' sha256sum (Linux), or Perl's shasum, which a
# stock Mac has and which has no --quiet or --strict (its exit status says the same).
if command -v sha256sum >/dev/null 2>&1; then
  sha256() { sha256sum "$@"; }
  sha256_check() { sha256sum --quiet --strict -c "$1"; }
elif command -v shasum >/dev/null 2>&1; then
  sha256() { shasum -a 256 "$@"; }
  sha256_check() { shasum -a 256 -c "$1"; }
else
  die "neither sha256sum nor shasum is here: install GNU coreutils (or Perl's shasum) and run this again."
fi
bundle=${1:-${BUNDLE:-}}
[ -n "$bundle" ] || { echo "load-bundle: say which bundle: make load-bundle BUNDLE=path/to/bundle.tar" >&2; exit 2; }
case "$(uname -m)" in x86_64) host_arch=amd64 ;; aarch64 | arm64) host_arch=arm64 ;; *) host_arch=$(uname -m) ;; esac
platform=${PLATFORM:-linux/$host_arch}
arch=${2:-${platform#linux/}}
[ -f "$bundle" ] || die "no bundle at $bundle"
started=$(date +%s)

# 1. The whole file against the checksum written beside it (when it was copied along).
if [ -f "$bundle.sha256" ]; then
  expected=$(cut -d' ' -f1 "$bundle.sha256")
  actual=$(sha256 "$bundle" | cut -d' ' -f1)
  [ "$expected" = "$actual" ] \
    || die "$bundle is corrupted or truncated: its SHA-256 is $actual, $bundle.sha256 says $expected; copy it again."
fi

# 2. Every file inside against the bundle's own SHA256SUMS (also without the .sha256 file).
mkdir -p var
staging=$(mktemp -d var/load-bundle.XXXXXX)
trap 'rm -rf "$staging"' EXIT
tar -xf "$bundle" -C "$staging" 2>"$staging/tar.err" \
  || die "$bundle is truncated or not a bundle: tar says: $(head -n1 "$staging/tar.err")"
[ -f "$staging/payload/SHA256SUMS" ] || die "$bundle is not a bundle of this lab: no payload/SHA256SUMS"
(cd "$staging" && sha256_check payload/SHA256SUMS >/dev/null 2>&1) \
  || die "$bundle is corrupted: files inside do not match its SHA256SUMS; copy it again."
setting() { sed -n "s/^$1=\"\(.*\)\"\$/\1/p" "$staging/payload/bundle.env"; }
BUNDLE_STACKS=$(setting BUNDLE_STACKS)
BUNDLE_HOST_PYTHON=$(setting BUNDLE_HOST_PYTHON)
BUNDLE_ARCH=$(setting BUNDLE_ARCH)
[ -n "$BUNDLE_STACKS" ] || die "$bundle names no stack in payload/bundle.env"
[ "$BUNDLE_ARCH" = "$arch" ] \
  || die "$bundle holds linux/$BUNDLE_ARCH images and this lab runs linux/$arch: use a bundle made with BUNDLE_PLATFORM=linux/$arch (or load this one with PLATFORM=linux/$BUNDLE_ARCH, emulated)."

# 3. The bundle must be of this very lab: its images were built from these files.
for input in $(python3 -m loadtest.lab --choices BUILD_INPUTS); do
  diff -rq --exclude=__pycache__ "$input" "$staging/mod-wsgi-leak-lab/$input" >/dev/null 2>&1 \
    || die "$input here differs from the bundle's copy: run make load-bundle from the bundle's own lab (tar -xf $bundle mod-wsgi-leak-lab)."
done

# 4. The host wheels are for one Python and platform.
here=$(python3 -c 'import platform, sys; print("%d.%d %s %s" % (sys.version_info[0], sys.version_info[1], sys.platform, platform.machine()))' 2>/dev/null || echo "no python3")
case ", $BUNDLE_HOST_PYTHON, " in *", $here, "*) ;; *) false ;; esac \
  || die "the bundle's host wheels are for Python $BUNDLE_HOST_PYTHON, this machine has $here: make the bundle on a machine like this one."
docker info >/dev/null 2>&1 || die "no Docker engine answers: start Docker Desktop (or dockerd) and run this again."

# Checked: now load. Stamps last, newest last, so that make sees each step done.
for stack in $BUNDLE_STACKS; do
  echo "load-bundle: loading the $stack images..."
  docker load -q -i "$staging/payload/images/$stack.tar.gz" >/dev/null
done
# The base image under the name this engine's lab asks for: `debian:SUITE-slim` for the
# engine's own architecture, Docker Hub's per-architecture name for another (make docker). A
# bundle made where this architecture was foreign has the other name.
case "$(docker info --format '{{.Architecture}}')" in x86_64) engine_arch=amd64 ;; aarch64) engine_arch=arm64 ;; *) engine_arch= ;; esac
for stack in $BUNDLE_STACKS; do
  want="debian:$stack-slim"
  [ "$arch" = "$engine_arch" ] || want="$([ "$arch" = arm64 ] && echo arm64v8/debian || echo amd64/debian):$stack-slim"
  for have in "debian:$stack-slim" "amd64/debian:$stack-slim" "arm64v8/debian:$stack-slim"; do
    if [ "$have" != "$want" ] && [ "$(docker image inspect -f '{{.Architecture}}' "$have" 2>/dev/null)" = "$arch" ]; then
      docker tag "$have" "$want"
    fi
  done
done
echo "load-bundle: the venv, from the bundled wheels..."
rm -rf wheelhouse/host
mkdir -p wheelhouse/host
cp "$staging"/payload/wheels/host/*.whl wheelhouse/host/
touch wheelhouse/host/.complete
bash scripts/ensure-python.sh
python3 -m venv .venv
.venv/bin/pip install -q --disable-pip-version-check --no-compile --no-index --find-links wheelhouse/host \
  -r requirements/host.txt
touch .venv/.installed
for stack in $BUNDLE_STACKS; do
  rm -rf "wheelhouse/$stack-$arch"
  mkdir -p "wheelhouse/$stack-$arch" var/stamps
  cp "$staging/payload/wheels/$stack-$arch"/* "wheelhouse/$stack-$arch/"
  touch "wheelhouse/$stack-$arch/.complete"
done
for stack in $BUNDLE_STACKS; do touch "var/stamps/images-$stack-stack-$arch"; done
echo "load-bundle: ready in $(( $(date +%s) - started )) s: stacks $BUNDLE_STACKS; make reproduce builds and downloads nothing."
