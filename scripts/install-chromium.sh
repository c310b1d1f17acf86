#!/usr/bin/env bash
# The browser tests drive Debian's Chromium through Playwright (no browser download). Install it from
# the OS packages when it is missing; `make test` runs this on a fresh machine.
set -euo pipefail
if command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ]; then
    exit 0
fi
if [ "$(id -u)" -eq 0 ]; then
    SUDO=""
elif command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
else
    echo "chromium is missing and this user cannot install it: run 'apt-get install -y chromium' as root" >&2
    exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "chromium is missing and there is no apt-get: install Chromium and put it on PATH as 'chromium'" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq chromium >/dev/null
command -v chromium
