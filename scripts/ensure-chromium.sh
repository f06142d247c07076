#!/usr/bin/env bash
# Make sure a headless-capable browser is here for the report page's browser test
# (tests/integration/test_report_page.py). Exits 0 when LAB_BROWSER names one that runs, or
# chromium, chromium-browser, google-chrome or google-chrome-stable runs (`--version`); as root
# on Debian it installs Debian's `chromium` quietly (not on Ubuntu, where that package is a snap
# stub); otherwise it prints one line saying what to do and exits 1. Idempotent.
set -euo pipefail

have_browser() {
  local browser
  for browser in ${LAB_BROWSER:-chromium chromium-browser google-chrome google-chrome-stable}; do
    if command -v "$browser" >/dev/null 2>&1 && "$browser" --version >/dev/null 2>&1; then
      return 0
    fi
  done
  return 1
}

if have_browser; then
  exit 0
fi
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1 && grep -q '^ID=debian' /etc/os-release; then
  export DEBIAN_FRONTEND=noninteractive
  if apt-get update -qq >/dev/null 2>&1 &&
    apt-get install -y -qq --no-install-recommends chromium >/dev/null 2>&1 &&
    have_browser; then
    exit 0
  fi
  echo "ensure-chromium: apt-get install chromium failed; run it by hand to see why (network? apt sources?)" >&2
  exit 1
fi
echo "ensure-chromium: no browser runs; install one (Debian: sudo apt-get install chromium) or name it: make test BROWSER=/path/to/chrome" >&2
exit 1
