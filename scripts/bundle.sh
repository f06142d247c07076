#!/usr/bin/env bash
# make bundle: one archive with everything a venue laptop needs to run the lab with no
# network (docs/workshop.md): each stack's images and Debian base image (docker save) for one
# architecture, the wheels of the host venv and of the images, and the repository itself.
# Writes dist/<name>.tar and dist/<name>.tar.sha256 and prints the size and the checksum; keeps
# an existing one made from the same commit, images and files (dist/<name>.tar.key).
#   bash scripts/bundle.sh ARCH STACK...     (the Makefile builds the stacks' images first)
# ARCH is amd64 or arm64. The host venv's wheels are for this machine when ARCH is its own;
# an arm64 bundle made elsewhere gets them for Apple Silicon Macs (every CPython of HOST_PYTHONS).
# Layout: mod-wsgi-leak-lab/ (the repository: `tar -xf BUNDLE mod-wsgi-leak-lab` gives a
# lab to run `make load-bundle` from) and payload/ (MANIFEST.txt, SHA256SUMS of every file,
# bundle.env, images/STACK.tar.gz, wheels/host/, wheels/STACK-ARCH/).
set -euo pipefail

die() { printf 'bundle: %s\n' "$*" >&2; exit 1; }
[ $# -ge 2 ] || die "usage: bundle.sh ARCH STACK..."
arch=$1
shift
case "$(uname -m)" in x86_64) host_arch=amd64 ;; aarch64 | arm64) host_arch=arm64 ;; *) host_arch=$(uname -m) ;; esac
base_repo=debian
[ "$arch" = "$host_arch" ] || base_repo=$([ "$arch" = arm64 ] && echo arm64v8/debian || echo amd64/debian)
git rev-parse --git-dir >/dev/null 2>&1 || die "make bundle needs a git checkout of the lab (it bundles its files)."

root=$(pwd)
: "${LAB_NAME:?is set by make bundle (choices.mk: NAME)}"
started=$(date +%s)
name="mod-wsgi-leak-lab-$(git describe --always --dirty)-$(IFS=-; echo "$*")-$arch"
archive="dist/$name.tar"

# The same commit (no local changes), the same images and the same host requirements make the
# same bundle: an existing one, checked against its checksum, is kept.
key=$(
  for stack in "$@"; do
    docker image inspect -f '{{.Id}}' "$LAB_NAME/python-apps:$stack-mod_wsgi-stack-$arch" \
      "$LAB_NAME/rabbitmq:$stack-$arch" "$LAB_NAME/postgres:$stack-$arch" "$base_repo:$stack-slim" 2>/dev/null || echo missing
  done
  sha256sum requirements/host.txt
  git ls-files -z --others --exclude-standard | xargs -0 -r sha256sum  # bundled too
)
key=$(printf '%s\n' "$key" | sha256sum | cut -d' ' -f1)
if [[ "$name" != *-dirty-* ]] && [ -f "$archive" ] && [ "$(cat "$archive.key" 2>/dev/null)" = "$key" ] &&
  (cd dist && sha256sum --quiet -c "$name.tar.sha256" >/dev/null 2>&1); then
  echo "bundle: $archive, $(du -h "$archive" | cut -f1), sha256 $(cut -d' ' -f1 "$archive.sha256") (kept: same commit, images and host requirements)"
  exit 0
fi

staging=$(mktemp -d "${TMPDIR:-/tmp}/lab-bundle.XXXXXX")
trap 'rm -rf "$staging"' EXIT
payload="$staging/payload"
mkdir -p "$payload/images" "$payload/wheels/host" "$staging/mod-wsgi-leak-lab" "$root/dist"

# The repository as it is here (tracked and untracked files, not the ignored ones): the
# images were built from these files, so the bundle's copy matches its images.
git ls-files -z --cached --others --exclude-standard | while IFS= read -r -d '' path; do
  if [ -e "$path" ]; then printf '%s\0' "$path"; fi  # a tracked file deleted here is left out
done | tar --null -T - -c | tar -x -C "$staging/mod-wsgi-leak-lab"

compress=(gzip -1)
command -v pigz >/dev/null && compress=(pigz -1)
for stack in "$@"; do
  # Each stack with its own mod_wsgi (MOD_WSGI=stack, as docker-compose.yml tags it).
  images=("$LAB_NAME/python-apps:$stack-mod_wsgi-stack-$arch" "$LAB_NAME/rabbitmq:$stack-$arch" "$LAB_NAME/postgres:$stack-$arch" "$base_repo:$stack-slim")
  docker image inspect "${images[@]}" >/dev/null 2>&1 || die "the $stack images are missing: run make images STACK=$stack PLATFORM=linux/$arch."
  echo "bundle: saving the $stack images (${images[*]})..."
  docker save "${images[@]}" | "${compress[@]}" > "$payload/images/$stack.tar.gz"
  wheels="wheelhouse/$stack-$arch"
  [ -e "$wheels/.complete" ] || die "$wheels is incomplete: run make wheelhouse STACK=$stack PLATFORM=linux/$arch."
  mkdir -p "$payload/wheels/$stack-$arch"
  # The wheels and the sdists the images build (mod_wsgi, and on bullseye the 2013 packages).
  find "$wheels" -maxdepth 1 -type f \( -name '*.whl' -o -name '*.tar.gz' \) -exec cp {} "$payload/wheels/$stack-$arch/" \;
done

# The host venv's wheels, for this machine's Python and platform (the venue laptops must
# match: load-bundle checks).
# The hosts the venv's wheels are for, as load-bundle.sh compares them: "VERSION PLATFORM MACHINE".
# Every CPython minor version the host side runs on (choices.mk's HOST_PYTHONS), so that one
# bundle readies a room whatever Python each laptop has.
read -ra host_versions <<< "$(python3 -m loadtest.lab --choices HOST_PYTHONS)"
if [ "$arch" = "$host_arch" ] && [ "$(uname -s)" = Linux ]; then
  machine=$(uname -m)
  echo "bundle: downloading the host venv's wheels for Linux $machine, CPython ${host_versions[*]}..."
  host_python=
  for version in "${host_versions[@]}"; do
    .venv/bin/pip download -q --disable-pip-version-check --only-binary=:all: \
      --platform "manylinux2014_$machine" --platform "manylinux_2_17_$machine" --platform "manylinux_2_28_$machine" \
      --platform "linux_$machine" --python-version "$version" --implementation cp \
      -r requirements/host.txt -d "$payload/wheels/host"
    host_python="${host_python:+$host_python, }$version linux $machine"
  done
elif [ "$arch" = "$host_arch" ]; then
  echo "bundle: downloading the host venv's wheels..."
  .venv/bin/pip download -q --disable-pip-version-check --only-binary=:all: \
    -r requirements/host.txt -d "$payload/wheels/host"
  host_python=$(python3 -c 'import platform, sys; print("%d.%d %s %s" % (*sys.version_info[:2], sys.platform, platform.machine()))')
else
  echo "bundle: downloading the host venv's wheels for Apple Silicon Macs, CPython ${host_versions[*]}..."
  host_python=
  for version in "${host_versions[@]}"; do
    .venv/bin/pip download -q --disable-pip-version-check --only-binary=:all: --platform macosx_11_0_arm64 \
      --python-version "$version" --implementation cp -r requirements/host.txt -d "$payload/wheels/host"
    host_python="${host_python:+$host_python, }$version darwin arm64"
  done
fi

{
  echo "BUNDLE_STACKS=\"$*\""
  echo "BUNDLE_ARCH=\"$arch\""
  echo "BUNDLE_HOST_PYTHON=\"$host_python\""
} > "$payload/bundle.env"
{
  echo "mod_wsgi environment-leak lab: offline bundle $name"
  echo "made $(date -u +%Y-%m-%dT%H:%M:%SZ) from commit $(git rev-parse HEAD)$(git diff --quiet HEAD || echo ' with local changes')"
  echo "stacks: $*; images for linux/$arch; host wheels for Python $host_python"
  echo
  echo "images (docker save, gzip):"
  for stack in "$@"; do
    for image in "$LAB_NAME/python-apps:$stack-mod_wsgi-stack-$arch" "$LAB_NAME/rabbitmq:$stack-$arch" "$LAB_NAME/postgres:$stack-$arch" "$base_repo:$stack-slim"; do
      docker image inspect -f "  $image  {{.Id}}  {{.Size}} bytes" "$image"
    done
  done
  echo
  echo "files (size in bytes, path):"
  (cd "$staging" && find payload mod-wsgi-leak-lab -type f ! -name MANIFEST.txt -printf '  %s  %p\n' | sort -k2)
} > "$payload/MANIFEST.txt"
(cd "$staging" && find payload mod-wsgi-leak-lab -type f ! -name SHA256SUMS -print0 | sort -z | xargs -0 sha256sum) \
  > "$payload/SHA256SUMS"

tar -C "$staging" -cf "$archive.tmp" mod-wsgi-leak-lab payload
mv "$archive.tmp" "$archive"
(cd dist && sha256sum "$name.tar" > "$name.tar.sha256")
echo "$key" > "$archive.key"
echo "bundle: $archive, $(du -h "$archive" | cut -f1), sha256 $(cut -d' ' -f1 "$archive.sha256") ($(( $(date +%s) - started )) s)"
echo "bundle: manifest: tar -xOf $archive payload/MANIFEST.txt"
