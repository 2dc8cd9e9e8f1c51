#!/usr/bin/env bash
# The agent loop end to end: Kagent 0.10's own agent runtime (kagent-adk 0.10.4 from PyPI) reads the
# runtime config the stack's plan gives it (scripts/agent-runtime/render.ts), talks to a scripted model,
# and drives the agent's computer: the shell MCP server and the desktop with its computer-control sidecar
# as processes (the desktop as tests/desktop-e2e runs it); and scripts/chat.sh. Installs what it needs: the
# runtime's venv (scripts/agent-runtime/venv.sh: cached per lock, about 1 GB), the shell server's build,
# and the desktop's packages and venv (through tests/desktop-e2e/run.sh --print-venv).
# Arguments go to pytest (e.g. `-k shell`). `--print-venv` only prepares the runtime's venv and prints it.
# Desktop tests use X displays and /tmp/.X11-unix: run them under `flock /work/.desktop.lock` on a shared
# machine (AGENT_LOOP_DESKTOP=0 skips them). As root with podman and buildah, the runtime's image
# (images/kagent-runtime) is built (layers cached in /var/lib/containers: `flock /work/.images.lock` on a
# shared machine) and a conversation runs through it too (AGENT_LOOP_IMAGE=0 skips it).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"

die() { printf 'agent-loop: %s\n' "$*" >&2; exit 1; }

main() {
  local venv
  venv="$(bash "$repo/scripts/agent-runtime/venv.sh")"
  if [[ "${1:-}" == "--print-venv" ]]; then
    echo "$venv"
    return 0
  fi
  [[ -x "$repo/node_modules/.bin/tsx" ]] || die "run npm ci in $repo first"
  printf 'agent-loop: building the shell MCP server\n' >&2
  npm --prefix "$repo/images/shell" run --silent build >&2
  export AGENT_LOOP_VENV="$venv"
  if [[ "${AGENT_LOOP_DESKTOP:-1}" != 0 ]]; then
    # The desktop's Debian packages, the agent user and the sidecar's venv, exactly as its own tests.
    DESKTOP_E2E_VENV="$(bash "$repo/tests/desktop-e2e/run.sh" --print-venv)"
    export DESKTOP_E2E_VENV
  fi
  if [[ "${AGENT_LOOP_IMAGE:-1}" != 0 && $EUID -eq 0 ]] && command -v podman >/dev/null && command -v buildah >/dev/null; then
    AGENT_LOOP_IMAGE="$(bash "$repo/scripts/agent-runtime/image.sh")"
    # The tests' `podman run` too: its ulimits stay under this machine's hard limits (nofile 20000 here).
    export AGENT_LOOP_IMAGE CONTAINERS_CONF="${CONTAINERS_CONF:-$repo/scripts/images/containers.conf}"
  else
    unset AGENT_LOOP_IMAGE
  fi
  export PYTHONDONTWRITEBYTECODE=1
  cd "$here"
  # In a /tmp and /dev/shm of their own (memory file systems, gone when pytest ends; TMPDIR=/tmp there):
  # the runtime, the scripted model, tsx and the processes write nowhere else, and the desktop's fixed
  # folders (/tmp/.X11-unix, xfce4-session's /tmp/.ICE-unix) stay off the host. The host's network stays.
  bash "$repo/tests/desktop-e2e/private-host.sh" --host-network \
    "$venv/bin/python" -m pytest -p no:cacheprovider --timeout=600 -v "$here" "$@"
}

main "$@"
