#!/usr/bin/env bash
# Installs Debian's Chromium for the admin UI browser tests (test/ui/), once.
#
#   scripts/chromium-install.sh
#
# Idempotent: when /usr/bin/chromium exists it only prints its version. Otherwise it installs the
# `chromium` package with apt-get (as root, or through sudo), running `apt-get update` first only
# when the package lists do not offer it. Playwright's own browser downloads are never used: the
# tests drive this binary through playwright-core's `executablePath`.
#
# Prints CHROMIUM=/usr/bin/chromium on stdout when done (progress goes to stderr); exits non-zero
# with a message saying what to do when it cannot install.
set -euo pipefail

BIN=/usr/bin/chromium
LOCK="${TMPDIR:-/tmp}/dtx-chromium-install.lock"

log() { echo "chromium-install: $*" >&2; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo -n "$@"
  else
    log "need root (or passwordless sudo) to run: $*"
    return 1
  fi
}

install_chromium() {
  if ! command -v apt-get >/dev/null 2>&1; then
    log "apt-get not found: install Chromium yourself so that $BIN exists (Debian/Ubuntu: apt-get install chromium)"
    return 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  if ! apt-cache show chromium >/dev/null 2>&1; then
    log "package lists lack chromium: apt-get update"
    as_root apt-get update -q >&2
  fi
  log "installing Debian package chromium"
  if ! as_root apt-get install -y -q --no-install-recommends chromium >&2; then
    log "install failed; refreshing package lists and retrying once"
    as_root apt-get update -q >&2
    as_root apt-get install -y -q --no-install-recommends chromium >&2
  fi
}

# one installer at a time (two test runs starting together)
exec 9>"$LOCK"
flock 9

if [ ! -x "$BIN" ]; then
  install_chromium
fi
if [ ! -x "$BIN" ]; then
  log "$BIN is still missing after the install"
  exit 1
fi
log "$("$BIN" --version 2>/dev/null || echo 'version unknown')"
echo "CHROMIUM=$BIN"
