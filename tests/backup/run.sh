#!/usr/bin/env bash
# Tests of the operations objects against a real kube-apiserver with the upstream CRDs
# (../shared/upstream-operations): the backup program creating and pruning VolumeSnapshots as its own
# ServiceAccount, and the monitoring and backup objects passing server-side validation.
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
cleanup() {
    "$repo/scripts/local-cluster.sh" down >/dev/null 2>&1 || true
    rm -rf "$LOCAL_CLUSTER_DIR"
}
trap cleanup EXIT
"$repo/scripts/local-cluster.sh" up

cd "$repo"
npx mocha --no-config --require tsx/cjs --extension ts --timeout 120000 \
    tests/backup/snapshotWorkspace.cluster.ts tests/monitoring/objects.cluster.ts
