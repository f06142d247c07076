#!/usr/bin/env bash
# Make sure a headless-capable Chromium is here for the report's browser test. On Debian as
# root it installs Debian's `chromium`; elsewhere it says what to do. Idempotent.
set -euo pipefail
for browser in chromium chromium-browser google-chrome; do
  command -v "$browser" >/dev/null && exit 0
done
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "ensure-chromium: installing Debian's chromium for the report's browser test..." >&2
  DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null
  exit 0
fi
echo "ensure-chromium: no chromium found; install Chromium (Debian: apt-get install chromium) for the browser test." >&2
exit 1
