#!/usr/bin/env bash
# Prints the path of a venv holding Kagent 0.10's Python agent runtime (kagent-adk 0.10.4) and its locked
# closure (images/kagent-runtime/requirements.txt, what that image installs) plus the test tools
# (tests/agent-loop/requirements.txt), building it the first time: one folder per (Python, locks)
# under ${PERSISTENT_AGENTS_CACHE:-~/.cache/persistent-agents}/kagent-adk, built aside and moved into
# place, so concurrent runs never share a half-built venv. About 1 GB and a minute or two to build.
# Used by scripts/chat.sh and tests/agent-loop/run.sh. Run everything as "$venv/bin/python -m ...".
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
locks=("$repo/images/kagent-runtime/requirements.txt" "$repo/tests/agent-loop/requirements.txt")
cache_dir="${PERSISTENT_AGENTS_CACHE:-$HOME/.cache/persistent-agents}/kagent-adk"

log() { printf 'agent-runtime: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

# kagent's image runs Python 3.13; the lock holds for every Python from 3.11 (Debian bookworm's).
pick_python() {
  local candidate
  for candidate in "${AGENT_RUNTIME_PYTHON:-}" "$(command -v python3.13 || true)" /root/.pyenv/versions/3.13*/bin/python3.13 \
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

main() {
  local python stamp venv partial
  python="$(pick_python)"
  stamp="$( { "$python" --version; cat "${locks[@]}"; } | sha256sum | cut -c1-16)"
  venv="$cache_dir/venv-$stamp"
  if [[ ! -f "$venv/.complete" ]]; then
    ensure_venv_module "$python"
    install -d "$cache_dir"
    partial="$venv.partial.$$"
    log "building $venv (kagent-adk 0.10.4 and its locked closure)"
    "$python" -m venv "$partial"
    "$partial/bin/python" -m pip install -q --disable-pip-version-check --no-deps -r "${locks[0]}" -r "${locks[1]}" >&2
    "$partial/bin/python" -m pip check >&2
    touch "$partial/.complete"
    # Another run may have finished the same venv first: keep theirs.
    mv -T "$partial" "$venv" 2>/dev/null || rm -rf "$partial"
  fi
  echo "$venv"
}

main "$@"
