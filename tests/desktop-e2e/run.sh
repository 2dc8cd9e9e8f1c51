#!/usr/bin/env bash
# End-to-end test of the desktop pod on this machine: installs the Debian
# packages and the Python pins the images use (cached, reused when unchanged),
# then runs pytest, which starts images/desktop/start-desktop.sh and
# images/computer-control-mcp/launcher.py as UID 1000 sharing /tmp/.X11-unix.
# pytest runs in a /tmp, /dev/shm and network of its own (private-host.sh): the X
# display is :0 as in the pod, servers listen on ephemeral ports, and runs at the
# same time (or the host's own X) never meet.
# Extra arguments go to pytest (e.g. `-k vnc`); `--print-venv` only prepares the
# environment and prints the venv's path.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
desktop_image="$repo/images/desktop"
sidecar_image="$repo/images/computer-control-mcp"
# Not under $HOME: UID 1000 runs the venv's Python and must reach it. Folders are named by what they hold
# and built beside their final name, then moved into place, so concurrent runs never share a half-built
# folder and none deletes another's.
cache_dir="${DESKTOP_E2E_CACHE:-${PERSISTENT_AGENTS_CACHE:-/var/cache/persistent-agents}/desktop-e2e}"
agent_uid=1000

log() { printf 'desktop-e2e: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }
package_list() { sed -e 's/#.*//' "$@" | xargs; }

# xwd (x11-apps) and patchelf are for the benchmark and the Python copy below.
# iproute2 brings up the private network's loopback (private-host.sh).
read -r -a debian_packages <<<"$(package_list "$desktop_image/packages-session.txt" "$sidecar_image/packages.txt") x11-apps patchelf git iproute2"

install_debian_packages() {
  local missing=()
  local package
  for package in "${debian_packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
  done
  ((${#missing[@]} == 0)) && return 0
  [[ $EUID -eq 0 ]] || die "missing Debian packages (run as root to install): ${missing[*]}"
  log "installing Debian packages: ${missing[*]}"
  apt-get -o DPkg::Lock::Timeout=600 update -qq
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

ensure_agent_user() {
  getent passwd "$agent_uid" >/dev/null && return 0
  [[ $EUID -eq 0 ]] || die "no user with UID $agent_uid (run as root to create 'agent')"
  log "creating user agent (UID $agent_uid)"
  # A run beside this one may create it first.
  useradd --uid "$agent_uid" --user-group --create-home --shell /bin/bash agent || getent passwd "$agent_uid" >/dev/null
}

runs_as_agent() {
  if [[ $EUID -eq 0 ]]; then
    setpriv --reuid="$agent_uid" --regid="$agent_uid" --init-groups "$@"
  else
    "$@"
  fi
}

# The image runs Python 3.12. The interpreter must be usable by UID 1000: a
# pyenv build under /root is not, so we copy its prefix into the cache and point
# its libpython rpath at the copy ($ORIGIN), which makes the copy relocatable.
pick_python() {
  local candidate prefix version copy
  for candidate in "${DESKTOP_E2E_PYTHON:-}" "$(command -v python3.12 || true)" /root/.pyenv/versions/3.12*/bin/python3.12; do
    [[ -n "$candidate" && -x "$candidate" ]] || continue
    # Skips pyenv shims that resolve to another version.
    "$candidate" -c 'import sys; assert sys.version_info[:2] == (3, 12)' 2>/dev/null || continue
    if runs_as_agent "$candidate" -c 'import sys; assert sys.version_info[:2] == (3, 12)' 2>/dev/null; then
      echo "$candidate"
      return 0
    fi
    prefix="$("$candidate" -c 'import sys; print(sys.base_prefix)')"
    version="$("$candidate" -c 'import platform; print(platform.python_version())')"
    copy="$cache_dir/python-$version"
    if [[ ! -x "$copy/bin/python3.12" ]]; then
      log "copying Python $version from $prefix to $copy (UID $agent_uid cannot reach it)"
      local partial="$copy.partial.$$"
      cp -a "$prefix" "$partial"
      # shellcheck disable=SC2016  # $ORIGIN is for the dynamic loader, not the shell
      patchelf --set-rpath '$ORIGIN/../lib' "$partial/bin/python3.12"
      # Another run may have finished the same copy first: keep theirs, drop ours.
      mv -T "$partial" "$copy" 2>/dev/null || rm -rf "$partial"
    fi
    if runs_as_agent "$copy/bin/python3.12" -c 'pass'; then
      echo "$copy/bin/python3.12"
      return 0
    fi
  done
  candidate="$(command -v python3)"
  runs_as_agent "$candidate" -c 'import sys; assert sys.version_info >= (3, 10)' \
    || die "need Python 3.12 (or at least 3.10) usable by UID $agent_uid"
  log "NOTE: no usable Python 3.12; falling back to $($candidate --version) (the image uses 3.12)"
  echo "$candidate"
}

prepare_venv() {
  local python="$1" stamp venv partial
  stamp="$( { "$python" --version; cat "$sidecar_image/requirements.txt" "$sidecar_image/requirements-override.txt" \
    "$sidecar_image/ocr_warmup.py" "$here/requirements.txt"; } | sha256sum | cut -d' ' -f1)-$python"
  # One folder per set of pins: a change builds a new folder beside the old one instead of replacing it.
  venv="$cache_dir/venv-$(printf '%s' "$stamp" | sha256sum | cut -c1-16)"
  if [[ -f "$venv/.stamp" ]]; then
    echo "$venv"
    return 0
  fi
  partial="$venv.partial.$$"
  log "building venv $venv with the image's exact pins"
  "$python" -m venv "$partial"
  # Same two steps as images/computer-control-mcp/Dockerfile, then the test tools.
  "$partial/bin/python" -m pip install -q --disable-pip-version-check -r "$sidecar_image/requirements.txt" >&2
  "$partial/bin/python" -m pip install -q --disable-pip-version-check --force-reinstall --no-deps \
    -r "$sidecar_image/requirements-override.txt" >&2
  "$partial/bin/python" -m pip install -q --disable-pip-version-check -r "$here/requirements.txt" >&2
  "$partial/bin/python" "$sidecar_image/check_pins.py" >&2
  "$partial/bin/python" "$sidecar_image/ocr_warmup.py" 2>/dev/null >&2
  echo "$stamp" >"$partial/.stamp"
  # Everything runs it as "$venv/bin/python -m ..." (never its console scripts, whose shebangs name the
  # build folder), so the moved venv works. Another run may have finished it first: keep theirs.
  mv -T "$partial" "$venv" 2>/dev/null || rm -rf "$partial"
  echo "$venv"
}

# A second, small venv with a current MCP client (requirements-current-client.txt), cached the same way.
prepare_current_client_venv() {
  local python="$1" stamp venv partial
  stamp="$( { "$python" --version; cat "$here/requirements-current-client.txt"; } | sha256sum | cut -d' ' -f1)-$python"
  venv="$cache_dir/current-client-venv-$(printf '%s' "$stamp" | sha256sum | cut -c1-16)"
  if [[ -f "$venv/.stamp" ]]; then
    echo "$venv"
    return 0
  fi
  partial="$venv.partial.$$"
  log "building venv $venv with a current MCP client"
  "$python" -m venv "$partial"
  "$partial/bin/python" -m pip install -q --disable-pip-version-check -r "$here/requirements-current-client.txt" >&2
  "$partial/bin/python" -m pip check >&2
  echo "$stamp" >"$partial/.stamp"
  mv -T "$partial" "$venv" 2>/dev/null || rm -rf "$partial"
  echo "$venv"
}

# The Go MCP client (go-client/, the official go-sdk) as a binary, cached by its source. Needs a Go (the
# test command ensures one: scripts/toolchain/ensure.sh go); without one the Go client's test is skipped.
prepare_go_client() {
  local stamp binary partial
  command -v go >/dev/null 2>&1 || { log "NOTE: no go on PATH: the Go client's test will be skipped"; return 0; }
  stamp="$(cat "$here/go-client/go.mod" "$here/go-client/go.sum" "$here/go-client/main.go" | sha256sum | cut -c1-16)"
  binary="$cache_dir/go-client-$stamp/go-client"
  if [[ ! -x "$binary" ]]; then
    log "building the Go MCP client (go-sdk) into $(dirname "$binary")"
    partial="$cache_dir/go-client-$stamp.partial.$$"
    mkdir -p "$partial"
    (cd "$here/go-client" && GOFLAGS=-mod=readonly go build -trimpath -o "$partial/go-client" .) >&2
    mv -T "$partial" "$(dirname "$binary")" 2>/dev/null || rm -rf "$partial"
  fi
  echo "$binary"
}

main() {
  install -d -m 0755 "$cache_dir"
  install_debian_packages
  ensure_agent_user
  local python venv
  python="$(pick_python)"
  venv="$(prepare_venv "$python")"
  if [[ "${1:-}" == "--print-venv" ]]; then
    # For bench/desktop: same packages and pins, no tests.
    echo "$venv"
    return 0
  fi
  cd "$here"
  DESKTOP_E2E_CURRENT_CLIENT_VENV="$(prepare_current_client_venv "$python")"
  DESKTOP_E2E_GO_CLIENT="$(prepare_go_client)"
  export DESKTOP_E2E_VENV="$venv" DESKTOP_E2E_CURRENT_CLIENT_VENV DESKTOP_E2E_GO_CLIENT PYTHONDONTWRITEBYTECODE=1
  exec bash "$here/private-host.sh" "$venv/bin/python" -m pytest -p no:cacheprovider --timeout=240 -v "$here" "$@"
}

main "$@"
