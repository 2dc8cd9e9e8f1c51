#!/usr/bin/env bash
# Talk to an agent: one message over A2A to its Kagent runtime; prints the tool calls it made (with their
# results) and its reply.
#
#   scripts/chat.sh <agent> "<message>"                    # an agent of the local stack (Pulumi.local.yaml)
#   scripts/chat.sh --stack test-cluster <agent> "<message>"
#
# Local stack: the agent runs here, its computer as processes (shell server; desktop and computer-control
# sidecar for desktop agents, as tests/desktop-e2e runs them) and Kagent's own runtime (kagent-adk 0.10.4)
# on the config the stack's plan gives it; the node tier (tests/node/agent-loop) runs the same runtime as
# the agents' kagent pods on the local node. The model is the agent's real one when its model API key is
# in Vault (VAULT_ADDR and a token in the environment, `vault` on PATH), and a scripted model otherwise; the
# output says which. Root on a fresh Debian installs what the desktop needs.
#
# Any other stack: the agent's runtime in the cluster (kubectl's current context), through a
# port-forward to its Service (the agent's own model, computer and tools).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
runtime_dir="$repo/scripts/agent-runtime"

usage() { echo "usage: scripts/chat.sh [--stack <name>] <agent> \"<message>\"" >&2; exit 2; }
say() { printf 'chat: %s\n' "$*" >&2; }

stack=local
while [[ $# -gt 0 && "$1" == --* ]]; do
  case "$1" in
    --stack) [[ $# -ge 2 ]] || usage; stack="$2"; shift 2 ;;
    *) usage ;;
  esac
done
[[ $# -eq 2 ]] || usage
agent="$1"
message="$2"
stack_file="$repo/Pulumi.$stack.yaml"
[[ -f "$stack_file" ]] || { say "no stack file $stack_file"; exit 2; }

if [[ ! -x "$repo/node_modules/.bin/tsx" ]]; then
  say "installing the project's npm dependencies"
  npm ci --prefix "$repo" --no-audit --no-fund >&2
fi
venv="$(bash "$runtime_dir/venv.sh")"
work="$(mktemp -d "${TMPDIR:-/tmp}/chat.XXXXXX")"
chmod 0755 "$work" # a desktop runs as UID 1000 below it
export TMPDIR="$work" PYTHONDONTWRITEBYTECODE=1
cleanup() {
  [[ -n "${forward_pid:-}" ]] && kill "$forward_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

"$repo/node_modules/.bin/tsx" "$runtime_dir/render.ts" --stack-file "$stack_file" --agent "$agent" --out "$work/plan" --mcp-token unused >/dev/null
read_plan() { "$venv/bin/python" -c "import json,sys; print(json.load(open('$work/plan/runtime.json')).get(sys.argv[1]) or '')" "$1"; }

if [[ "$stack" != local ]]; then
  namespace="$(read_plan namespace)"
  port="$("$venv/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
  say "$agent in the cluster: port-forward to service/$agent in $namespace (kubectl context $(kubectl config current-context))"
  kubectl port-forward -n "$namespace" "service/$agent" "$port:8080" >"$work/port-forward.log" 2>&1 &
  forward_pid=$!
  for _ in $(seq 50); do
    grep -q Forwarding "$work/port-forward.log" && break
    kill -0 "$forward_pid" 2>/dev/null || { cat "$work/port-forward.log" >&2; exit 1; }
    sleep 0.2
  done
  "$venv/bin/python" "$runtime_dir/a2a_chat.py" "http://127.0.0.1:$port" "$message"
  exit $?
fi

say "building the shell MCP server"
npm --prefix "$repo/images/shell" run --silent build >&2
if [[ -n "$(read_plan resolution)" ]]; then
  # The desktop's Debian packages, the agent user and the sidecar's venv, as its own tests prepare them.
  DESKTOP_E2E_VENV="$(bash "$repo/tests/desktop-e2e/run.sh" --print-venv)"
  export DESKTOP_E2E_VENV
fi
"$venv/bin/python" "$runtime_dir/chat.py" --stack-file "$stack_file" "$agent" "$message"
