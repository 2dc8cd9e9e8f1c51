#!/usr/bin/env bash
# The local node: containerd, kubelet, kube-proxy, kube-router and the registry, in a network namespace
# and a mount namespace of their own, joined to a running control plane (scripts/local-cluster.sh calls
# this; it also makes the network first: scripts/node/network.sh).
#   scripts/node/node.sh network|up|down|status <cluster folder>
# network (before the control plane starts: the API server listens on the node's link) registers the node
# with the machine and makes its network (network.sh). up needs APISERVER_URL (the API server as the node reaches it) and KUBECONFIG (an admin's) in the
# environment; it returns once the Node is Ready. down stops every process of the node (found by its
# cgroup, pods included), removes its cgroups, puts back the machine-wide settings kubelet changed when
# it is the last node of the machine, and deletes the network namespace: nothing of it outlives down.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
action=${1:?usage: node.sh network|up|down|status <cluster folder>}
dir=${2:?usage: node.sh network|up|down|status <cluster folder>}
# shellcheck source=scripts/node/lib.sh
. "$here/lib.sh"
# shellcheck source=scripts/toolchain/versions.sh
. "$repo/scripts/toolchain/versions.sh"
# shellcheck source=scripts/toolchain/layout.sh
. "$repo/scripts/toolchain/layout.sh"

say() { echo "local-node: $*"; }
fail() { echo "local-node: $*" >&2; exit 1; }

# Set by kubelet at every start (setupKernelTunables) for the whole machine, not per namespace: recorded
# by the first node of the machine, put back by the last one.
global_sysctls=(vm.overcommit_memory vm.panic_on_oom kernel.panic kernel.panic_on_oops kernel.keys.root_maxkeys kernel.keys.root_maxbytes)

supervisor_pid() {
    local pid
    pid=$(cat "$node_dir/run/supervise.pid" 2>/dev/null) || return 1
    # A reused pid runs something else: the supervisor's command line names this cluster's folder.
    [ -n "$pid" ] && { tr '\0' ' ' <"/proc/$pid/cmdline"; } 2>/dev/null | grep -qF "supervise.sh $dir" || return 1
    echo "$pid"
}

# Every process in the node's cgroup tree (the node's daemons, their shims, every container).
node_pids() {
    [ -d "/sys/fs/cgroup/pids$node_cgroup" ] || return 0
    find "/sys/fs/cgroup/pids$node_cgroup" -name cgroup.procs -exec cat {} + 2>/dev/null | sort -un
}

make_cgroups() {
    local hierarchy
    for hierarchy in $(cgroup_hierarchies); do
        mkdir -p "$hierarchy$node_cgroup/node"
        if [ -f "$hierarchy/cpuset.cpus" ]; then # a new cpuset has no CPUs or memory nodes until given some
            cat "$hierarchy/cpuset.cpus" >"$hierarchy$node_cgroup/cpuset.cpus"
            cat "$hierarchy/cpuset.mems" >"$hierarchy$node_cgroup/cpuset.mems"
            cat "$hierarchy/cpuset.cpus" >"$hierarchy$node_cgroup/node/cpuset.cpus"
            cat "$hierarchy/cpuset.mems" >"$hierarchy$node_cgroup/node/cpuset.mems"
        fi
    done
}

remove_cgroups() {
    local hierarchy
    # runc also makes the containers' cgroups in the cgroup v2 hierarchy of a hybrid host (unified).
    for hierarchy in $(cgroup_hierarchies) /sys/fs/cgroup/unified; do
        [ -d "$hierarchy$node_cgroup" ] || continue
        # Deepest first: a cgroup can be removed once it has no children and no processes.
        find "$hierarchy$node_cgroup" -depth -type d -exec rmdir {} + 2>/dev/null || true
        [ ! -d "$hierarchy$node_cgroup" ] || say "cgroup $hierarchy$node_cgroup could not be removed" >&2
    done
}

# The machine-wide register of running nodes ($nodes_state/<node id>), under a lock.
register_node() {
    mkdir -p "$nodes_state"
    exec 7>"$nodes_state/register.lock"
    flock 7
    if [ -z "$(find "$nodes_state" -name 'node-*' -print -quit)" ]; then
        sysctl "${global_sysctls[@]}" 2>/dev/null | sed 's/ = /=/' >"$nodes_state/sysctls.saved"
    fi
    echo "$dir" >"$nodes_state/node-$node_id"
    exec 7>&-
}

unregister_node() {
    [ -d "$nodes_state" ] || return 0
    exec 7>"$nodes_state/register.lock"
    flock 7
    rm -f "$nodes_state/node-$node_id"
    if [ -z "$(find "$nodes_state" -name 'node-*' -print -quit)" ]; then
        if [ -f "$nodes_state/sysctls.saved" ]; then
            xargs -r sysctl -q -w <"$nodes_state/sysctls.saved"
            say "machine-wide settings put back: $(tr '\n' ' ' <"$nodes_state/sysctls.saved")"
        fi
        # Mount points the node needed on the host (empty folders it created), then the register itself.
        while read -r path; do rmdir "$path" 2>/dev/null || true; done <"$nodes_state/created-dirs" 2>/dev/null || true
        rm -rf "$nodes_state"
    fi
    exec 7>&-
}

# A host folder the node mounts a private tmpfs on; made (and later removed) only if missing.
ensure_mount_point() {
    [ -d "$1" ] && return 0
    mkdir -p "$1"
    echo "$1" >>"$nodes_state/created-dirs"
}

kubectl_admin() { "$(component_folder kube)/bin/kubectl" --kubeconfig "$KUBECONFIG" "$@"; }

wait_until() { # wait_until <what> <seconds> <command...>
    local what=$1 seconds=$2 deadline=$((SECONDS + $2)) pid
    shift 2
    until "$@" >/dev/null 2>&1; do
        if [ $SECONDS -ge $deadline ]; then
            fail "$what not ready after $seconds s; logs in $dir/log/node-*.log"
        fi
        pid=$(supervisor_pid) || { tail -n 20 "$dir/log/node-supervise.log" >&2; fail "the node stopped while waiting for $what"; }
        sleep 0.5
    done
}

up() {
    : "${APISERVER_URL:?}" "${KUBECONFIG:?}"
    load_node_network || fail "no network for the node: run scripts/node/network.sh up first"
    if supervisor_pid >/dev/null && [ "$(node_ready)" = True ]; then
        say "already running"
        return 0
    fi
    [ -z "$(node_pids)" ] || down
    local started=$SECONDS free_gb
    # The agents' images take about 3 GB unpacked, and the registry 1.5 GB more: say so before a pull fails.
    free_gb=$(df --output=avail -BG "$dir" | tail -n1 | tr -dc 0-9)
    [ "${free_gb:-0}" -ge 8 ] || say "warning: only ${free_gb} GB free under $dir; the local stack's images need about 6 GB" >&2
    mkdir -p "$node_dir"/{run,state,kubelet,cni,pod-logs,registry,containerd} "$dir/log"
    rm -f "$node_dir"/cni/*.conflist
    # shellcheck source=scripts/node/pki.sh
    . "$here/pki.sh"
    node_certificates "$node_name" "$NODE_IP"
    # shellcheck source=scripts/node/config.sh
    . "$here/config.sh"
    write_node_config
    printf 'KUBE_NODE_BIN=%s\nREGISTRY_BIN=%s\nKUBE_ROUTER_BIN=%s\nKUBECTL=%s\n' \
        "$(component_folder kube-node)/bin" "$(component_folder registry)/bin/registry" \
        "$(component_folder kube-router)/bin/kube-router" "$(component_folder kube)/bin/kubectl" >"$node_dir/binaries.env"
    kubectl_admin apply --server-side -f "$here/manifests/node-rbac.yaml" >/dev/null
    kubectl_admin apply --server-side -f "$here/manifests/no-snapshot-restore.yaml" >/dev/null

    make_cgroups
    close_fds setsid nsenter --net="$node_netns_file" unshare --mount --propagation private \
        bash "$here/supervise.sh" "$dir" </dev/null >>"$dir/log/node-supervise.log" 2>&1 &
    echo $! >"$node_dir/run/supervise.pid"

    wait_until "the Node object" 300 kubectl_admin get node "$node_name"
    wait_until "the node's pod range" 60 pod_range
    write_cni_config "$(pod_range)"
    wait_until "the Node to be Ready" 300 node_is_ready
    say "node $node_name Ready in $((SECONDS - started)) s (address $NODE_IP, registry $NODE_IP:$registry_port)"
}

# Checked at each try of wait_until (a command substitution in its arguments would be checked once).
pod_range() {
    local range
    range=$(kubectl_admin get node "$node_name" -o jsonpath='{.spec.podCIDR}' 2>/dev/null) && [ -n "$range" ] && echo "$range"
}
node_is_ready() { [ "$(node_ready)" = True ]; }

node_ready() {
    kubectl_admin get node "$node_name" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null
}

down() {
    local pids round
    pids=$(node_pids)
    if [ -n "$pids" ]; then
        # kubelet and the daemons first, gently; then everything left (containers, shims, containerd).
        for name in kubelet kube-proxy kube-router registry containerd; do
            kill -TERM "$(cat "$node_dir/run/$name.pid" 2>/dev/null)" 2>/dev/null || true
        done
        sleep 1
        for round in $(seq 1 50); do
            pids=$(node_pids)
            [ -n "$pids" ] || break
            # shellcheck disable=SC2086  # one pid per word
            kill -KILL $pids 2>/dev/null || true
            sleep 0.2
        done
        [ -z "$(node_pids)" ] || fail "processes of the node survived SIGKILL: $(node_pids | tr '\n' ' ')"
        say "stopped (after $round rounds)"
    else
        say "not running"
    fi
    rm -f "$node_dir"/run/*.pid
    remove_cgroups
    bash "$here/network.sh" down "$dir"
    unregister_node
}

status() {
    local name pid code=0
    for name in supervise containerd registry kubelet kube-proxy kube-router; do
        pid=$(cat "$node_dir/run/$name.pid" 2>/dev/null || true)
        if [ -n "$pid" ] && [ -d "/proc/$pid" ]; then
            say "$name running (pid $pid)"
        else
            say "$name not running"
            code=1
        fi
    done
    return $code
}

network() {
    register_node
    ensure_mount_point /run/containerd
    ensure_mount_point /var/log/containers
    bash "$here/network.sh" up "$dir"
}

case "$action" in
    network) network ;;
    up) up ;;
    down) down ;;
    status) status ;;
    *) echo "usage: node.sh up|down|status <cluster folder>" >&2; exit 2 ;;
esac
