#!/usr/bin/env sh
# Installs Debian's Chromium for the storefront browser test (test/browser), idempotently.
# playwright-core drives it through executablePath; no browser is downloaded by npm.
set -eu

if command -v chromium >/dev/null 2>&1; then
  echo "chromium already installed: $(chromium --version 2>/dev/null || echo unknown version)"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core
echo "installed $(chromium --version)"
