#!/usr/bin/env bash
# Make sure a headless-capable Chromium is here for the report page's browser test
# (tests/integration/test_report_page.py). Exits 0 when chromium, chromium-browser or
# google-chrome is on PATH; as root on Debian/Ubuntu it installs Debian's `chromium` quietly;
# otherwise it prints one line saying what to do and exits 1. Idempotent.
set -euo pipefail

have_browser() {
  local browser
  for browser in chromium chromium-browser google-chrome; do
    if command -v "$browser" >/dev/null 2>&1; then
      return 0
    fi
  done
  return 1
}

if have_browser; then
  exit 0
fi
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  if apt-get update -qq >/dev/null 2>&1 &&
    apt-get install -y -qq --no-install-recommends chromium >/dev/null 2>&1 &&
    have_browser; then
    exit 0
  fi
  echo "ensure-chromium: apt-get install chromium failed; run it by hand to see why (network? apt sources?)" >&2
  exit 1
fi
echo "ensure-chromium: no Chromium on PATH; install it (Debian: sudo apt-get install chromium) or put chromium on PATH" >&2
exit 1
