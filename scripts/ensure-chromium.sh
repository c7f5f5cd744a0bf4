#!/usr/bin/env bash
# Make sure headless Chromium is at /usr/bin/chromium for the browser test of map.html
# (tests/test_webmap.py). Installs Debian's `chromium` package when it is missing.
# Never fails the build: without apt (or root, or the package) it prints a warning and exits 0,
# and the browser tests then skip with a clear reason.
# Usage: bash scripts/ensure-chromium.sh
set -u

CHROMIUM=/usr/bin/chromium

if [ -x "$CHROMIUM" ]; then
  echo "ensure-chromium: $CHROMIUM is there ($("$CHROMIUM" --version 2>/dev/null || echo '?'))"
  exit 0
fi

warn() {
  echo "ensure-chromium: WARNING: $*; the browser tests of map.html will be skipped" >&2
  exit 0
}

command -v apt-get >/dev/null 2>&1 || warn "apt-get is not available, cannot install chromium"

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true >/dev/null 2>&1; then
    SUDO="sudo -n"
  else
    warn "not root and no password-less sudo, cannot install chromium"
  fi
fi

echo "ensure-chromium: installing Debian's chromium package"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >/dev/null 2>&1 || warn "apt-get update failed"
$SUDO apt-get install -y -qq --no-install-recommends chromium >/dev/null 2>&1 \
  || warn "apt-get install chromium failed"

if [ -x "$CHROMIUM" ]; then
  echo "ensure-chromium: installed $("$CHROMIUM" --version 2>/dev/null || echo chromium)"
else
  warn "chromium was installed but $CHROMIUM is missing"
fi
exit 0
