#!/usr/bin/env bash
# Real-engine benchmark (docs/benchmarks.md, "Real engine"): pulumi preview/up/destroy of the local stack with
# 1, 10, 50 and 100 agents against a control plane of its own in a temporary folder, with a file backend of its
# own, beside the same program under mocks. Runs under nice; stops everything it started on the way out.
#   bench/real-engine/run.sh          BENCH_SIZES=1,10 BENCH_ROUNDS=1 for a quick look
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
# Everything below (the builds if any, the control plane, pulumi) at a lower priority: the machine is shared.
# renice sets the niceness (it does not add to it): a run started under `nice -n 19` stays at 19.
[ "$(nice)" -ge 10 ] || renice -n 10 -p $$ >/dev/null

"$repo/scripts/toolchain/ensure.sh" kube etcd pulumi language-nodejs kubernetes-provider
# shellcheck source=scripts/toolchain/env.sh
. "$repo/scripts/toolchain/env.sh"

work=$(mktemp -d "${TMPDIR:-/tmp}/real-engine-bench.XXXXXX")
# shellcheck source=tests/real/sandbox-env.sh
. "$repo/tests/real/sandbox-env.sh"
# shellcheck disable=SC2317  # the EXIT trap
cleanup() {
    "$repo/scripts/local-cluster.sh" down || true
    rm -rf "$work"
}
trap cleanup EXIT

# Two claims for each agent of every size (destroy retains each size's claims, which keep their
# volumes), and spare ones.
agents_in_all=$(tr ',' '\n' <<<"${BENCH_SIZES:-1,10,50,100}" | awk '{ sum += $1 } END { print sum }')
LOCAL_CLUSTER_VOLUMES=$((agents_in_all * 2 + 30)) "$repo/scripts/local-cluster.sh" up
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo), $(. /etc/os-release && echo "$PRETTY_NAME"), node $(node --version), $(pulumi version), load $(cut -d' ' -f1-3 /proc/loadavg); $(date -u +%F)"
cd "$repo"
REAL_TIER_PULUMI_TIMEOUT_MINUTES=${REAL_TIER_PULUMI_TIMEOUT_MINUTES:-45} node --expose-gc --require tsx/cjs "$here/measure.ts"
