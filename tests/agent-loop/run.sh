#!/usr/bin/env bash
# The agent loop end to end: Kagent 0.10's own agent runtime (kagent-adk 0.10.4 from PyPI) reads the
# runtime config the stack's plan gives it (scripts/agent-runtime/render.ts), talks to a scripted model,
# and drives the agent's computer: the shell MCP server and the desktop with its computer-control sidecar
# as processes (the desktop as tests/desktop-e2e runs it). Installs what it needs: the runtime's venv
# (cached per lock under ${PERSISTENT_AGENTS_CACHE:-~/.cache/persistent-agents}/agent-loop), the shell
# server's build, and the desktop's packages and venv (through tests/desktop-e2e/run.sh --print-venv).
# Arguments go to pytest (e.g. `-k shell`). `--print-venv` only prepares the runtime's venv and prints it.
# Desktop tests use X displays and /tmp/.X11-unix: run them under `flock /work/.desktop.lock` on a shared
# machine (AGENT_LOOP_DESKTOP=0 skips them).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
cache_dir="${PERSISTENT_AGENTS_CACHE:-$HOME/.cache/persistent-agents}/agent-loop"

log() { printf 'agent-loop: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

# The runtime's image runs Python 3.13; the lock holds for every Python from 3.11 (Debian bookworm's).
pick_python() {
  local candidate
  for candidate in "${AGENT_LOOP_PYTHON:-}" "$(command -v python3.13 || true)" /root/.pyenv/versions/3.13*/bin/python3.13 \
    "$(command -v python3.12 || true)" /root/.pyenv/versions/3.12*/bin/python3.12 /usr/bin/python3 "$(command -v python3 || true)"; do
    [[ -n "$candidate" && -x "$candidate" ]] || continue
    "$candidate" -c 'import sys; assert sys.version_info >= (3, 11)' 2>/dev/null || continue
    echo "$candidate"
    return 0
  done
  die "need Python 3.11 or newer (3.13 is what kagent's image runs)"
}

ensure_venv_module() {
  local python="$1"
  "$python" -c 'import ensurepip, venv' 2>/dev/null && return 0
  [[ $EUID -eq 0 ]] || die "$python cannot make venvs (install python3-venv as root)"
  log "installing python3-venv from Debian"
  apt-get -o DPkg::Lock::Timeout=600 update -qq
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends python3-venv >/dev/null
}

# One folder per (Python, lock): a change builds a new folder beside the old one, built aside and moved
# into place, so concurrent runs never share a half-built venv.
prepare_venv() {
  local python="$1" stamp venv partial
  stamp="$( { "$python" --version; cat "$here/requirements.txt"; } | sha256sum | cut -c1-16)"
  venv="$cache_dir/venv-$stamp"
  if [[ -f "$venv/.complete" ]]; then
    echo "$venv"
    return 0
  fi
  ensure_venv_module "$python"
  install -d "$cache_dir"
  partial="$venv.partial.$$"
  log "building $venv (kagent-adk 0.10.4 and its locked closure, about 1 GB)"
  "$python" -m venv "$partial"
  "$partial/bin/python" -m pip install -q --disable-pip-version-check --no-deps -r "$here/requirements.txt" >&2
  "$partial/bin/python" -m pip check >&2
  touch "$partial/.complete"
  # Everything runs "$venv/bin/python -m ..." (never a console script: their shebangs name the build folder).
  mv -T "$partial" "$venv" 2>/dev/null || rm -rf "$partial"
  echo "$venv"
}

main() {
  local python venv
  python="$(pick_python)"
  venv="$(prepare_venv "$python")"
  if [[ "${1:-}" == "--print-venv" ]]; then
    echo "$venv"
    return 0
  fi
  [[ -x "$repo/node_modules/.bin/tsx" ]] || die "run npm ci in $repo first"
  log "building the shell MCP server"
  npm --prefix "$repo/images/shell" run --silent build >&2
  export AGENT_LOOP_VENV="$venv"
  if [[ "${AGENT_LOOP_DESKTOP:-1}" != 0 ]]; then
    # The desktop's Debian packages, the agent user and the sidecar's venv, exactly as its own tests.
    DESKTOP_E2E_VENV="$(bash "$repo/tests/desktop-e2e/run.sh" --print-venv)"
    export DESKTOP_E2E_VENV
  fi
  # The runtime, the scripted model and the processes write nowhere else; removed afterwards.
  TMPDIR="$(mktemp -d "${TMPDIR:-/tmp}/agent-loop.XXXXXX")"
  chmod 0755 "$TMPDIR" # the desktop runs as UID 1000 and must reach its folders below
  export TMPDIR PYTHONDONTWRITEBYTECODE=1
  trap 'rm -rf "$TMPDIR"' EXIT
  cd "$here"
  "$venv/bin/python" -m pytest -p no:cacheprovider --timeout=600 -v "$here" "$@"
}

main "$@"
