#!/usr/bin/env bash
# Wake latency against a fresh cold start, and an idle agent's cost awake and asleep (issue 23;
# bench/wake/wake.bench.ts says what; figures in docs/benchmarks.md, "Sleep and wake").
#   flock /work/.node.lock nice -n 19 bench/wake/run.sh
# A node of its own through the node tier's harness (tests/node/run.sh: cluster, the local stack's copy,
# teardown and the leftovers check): stack.test.ts deploys the stack, sleep.test.ts gives it platform.suspend
# and a 30 s idleAfter, then the bench. RUNS=<n> pairs per agent (default 5). About 15 minutes.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
export RUNS=${RUNS:-5}
NODE_TIER_FILES="stack.test.ts sleep.test.ts ../../bench/wake/wake.bench.ts" exec bash "$repo/tests/node/run.sh"
