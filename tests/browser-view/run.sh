#!/usr/bin/env bash
# End-to-end test of the browser view: the real Xvnc + Xfce desktop (tests/desktop-e2e's installs and
# Pod harness), images/browser-view as a real process, and Debian's chromium driven by playwright-core.
# Installs chromium with apt-get when missing (as root), builds images/browser-view and runs its unit
# tests, then runs pytest; both with a /tmp and a network of their own (tests/desktop-e2e/private-host.sh).
# Extra arguments go to pytest.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
package="$repo/images/browser-view"

log() { printf 'browser-view-e2e: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

install_chromium() {
  dpkg-query -W -f='${Status}' chromium 2>/dev/null | grep -q "install ok installed" && return 0
  [[ $EUID -eq 0 ]] || die "Debian's chromium is missing (run as root to install it)"
  log "installing Debian's chromium"
  apt-get -o DPkg::Lock::Timeout=600 update -qq
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends chromium >/dev/null
}

# Its dependencies come with the root's npm ci (images/browser-view is an npm workspace). The build runs
# under a lock of this checkout's own, so two runs of this test at once never build over each other.
build_browser_view() {
  mkdir -p "$repo/.cache"
  exec {install_lock}>"$repo/.cache/browser-view-build.lock"
  flock "$install_lock"
  npm --prefix "$package" run --silent build
  flock -u "$install_lock"
}

main() {
  # Node 22 from the root's node package (Debian's nodejs is older than the image's Node 22).
  export PATH="$repo/node_modules/.bin:$PATH"
  [[ -x "$repo/node_modules/.bin/node" && -d "$repo/node_modules/playwright-core" && -d "$repo/node_modules/@novnc/novnc" ]] \
    || die "run npm ci at the repository root first (it brings Node 22, playwright-core and the browser view's packages)"
  install_chromium
  build_browser_view
  local venv
  venv="$(bash "$repo/tests/desktop-e2e/run.sh" --print-venv)"
  # Both in a /tmp, /dev/shm and network of their own (tests/desktop-e2e/private-host.sh): the desktop on :0,
  # every server on an ephemeral port, chromium's profile in the private /tmp.
  log "unit tests of images/browser-view (RFB filter, sessions, server against a fake VNC server)"
  bash "$repo/tests/desktop-e2e/private-host.sh" npm --prefix "$package" test
  cd "$here"
  export PYTHONDONTWRITEBYTECODE=1 DESKTOP_E2E_VENV="$venv"
  exec bash "$repo/tests/desktop-e2e/private-host.sh" "$venv/bin/python" -m pytest -p no:cacheprovider --timeout=240 -v "$here" "$@"
}

main "$@"
