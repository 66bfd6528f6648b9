#!/usr/bin/env bash
# Installs the headless browser the web tests drive (tests/web): Debian's `chromium` and
# `chromium-driver` (/usr/bin/chromium, /usr/bin/chromedriver), when either is missing.
# Selenium is pointed at these two files; nothing is downloaded by Selenium Manager.
# Usage: scripts/browser.sh
set -euo pipefail

if [[ -x /usr/bin/chromium && -x /usr/bin/chromedriver ]]; then
  exit 0
fi

SUDO=""
[[ $(id -u) -eq 0 ]] || SUDO="sudo"
echo "installing chromium and chromium-driver (apt-get)" >&2
$SUDO apt-get update -qq
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null

for f in /usr/bin/chromium /usr/bin/chromedriver; do
  if [[ ! -x $f ]]; then
    echo "ERROR: $f is still missing after installing chromium and chromium-driver" >&2
    exit 1
  fi
done
/usr/bin/chromium --version >&2 || true
