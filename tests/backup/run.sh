#!/usr/bin/env bash
# Tests of the operations objects against a real kube-apiserver with the upstream CRDs
# (../shared/upstream-operations): the backup program creating and pruning VolumeSnapshots as its own
# ServiceAccount, its pre-snapshot hook pausing the real shell server's jobs, and the monitoring and backup
# objects passing server-side validation.
#   tests/backup/run.sh        (scripts/test-all.sh runs it in the step "monitoring rules (promtool) and backups")
# Starts a control plane of its own in a temporary LOCAL_CLUSTER_DIR (scripts/local-cluster.sh) and always
# stops it and deletes that folder on the way out.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)

"$repo/scripts/toolchain/ensure.sh" kube etcd
# shellcheck source=scripts/toolchain/env.sh
. "$repo/scripts/toolchain/env.sh"

LOCAL_CLUSTER_DIR=$(mktemp -d "${TMPDIR:-/tmp}/backup-tests.XXXXXX")
export LOCAL_CLUSTER_DIR
export KUBECONFIG=$LOCAL_CLUSTER_DIR/kubeconfig
# The tests' token folders and workspaces go there too, so the cleanup below removes them.
export TMPDIR=$LOCAL_CLUSTER_DIR/tmp
mkdir "$TMPDIR"
cleanup() {
    "$repo/scripts/local-cluster.sh" down >/dev/null 2>&1 || true
    rm -rf "$LOCAL_CLUSTER_DIR"
}
trap cleanup EXIT
# Ports below the kernel's ephemeral range: local-cluster.sh picks from 20000-60000, where an outgoing
# connection's own port can take the one it chose between its check and the bind.
ephemeral_low=$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range)
pick_port() {
    local port
    for _ in $(seq 1 100); do
        port=$((10000 + RANDOM % (ephemeral_low - 10000)))
        (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || { echo "$port"; return 0; }
    done
    echo "tests/backup/run.sh: no free loopback port below $ephemeral_low" >&2
    return 1
}
LOCAL_CLUSTER_ETCD_PORT=$(pick_port)
LOCAL_CLUSTER_ETCD_PEER_PORT=$(pick_port)
LOCAL_CLUSTER_APISERVER_PORT=$(pick_port)
export LOCAL_CLUSTER_ETCD_PORT LOCAL_CLUSTER_ETCD_PEER_PORT LOCAL_CLUSTER_APISERVER_PORT
"$repo/scripts/local-cluster.sh" up

cd "$repo"
# The pre-snapshot hook's test runs the real shell server.
npm --prefix images/shell run --silent build
npx mocha --no-config --require tsx/cjs --extension ts --timeout 120000 \
    tests/backup/snapshotWorkspace.cluster.ts tests/monitoring/objects.cluster.ts
