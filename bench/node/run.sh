#!/usr/bin/env bash
# Cold start and memory of the agents' computers on the local node (bench/node/measure.py says what).
#   bench/node/run.sh          after ./scripts/up-local.sh, against the README's local stack
# RUNS=<n> cold starts per agent (default 5). It deletes each computer pod n times: the agents' processes
# restart (their workspaces stay).
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=scripts/toolchain/env.sh
. "$repo/scripts/toolchain/env.sh"
export KUBECONFIG=${KUBECONFIG:-$repo/.cache/local-cluster/kubeconfig} STACK_FILE=${STACK_FILE:-$repo/Pulumi.local.yaml}
venv=$(bash "$repo/tests/desktop-e2e/run.sh" --print-venv)
PYTHONDONTWRITEBYTECODE=1 exec "$venv/bin/python" "$repo/bench/node/measure.py"
