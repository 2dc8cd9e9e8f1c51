#!/usr/bin/env bash
# A local Kubernetes cluster: etcd + kube-apiserver + kube-controller-manager, with the upstream CRDs the
# stack uses (Kagent, External Secrets Operator; agent-sandbox, prometheus-operator and volume snapshots for
# the operations work) installed and Established; and, with a node, kube-scheduler and a real node that
# runs pods (scripts/node/: containerd, kubelet, kube-proxy, kube-router, a registry, in namespaces of
# their own; docs/local-stack.md, "The node").
#
#   scripts/local-cluster.sh up       start it (idempotent), wait for /readyz and the CRDs (and the Node)
#   scripts/local-cluster.sh status   what runs, where
#   scripts/local-cluster.sh down     stop every process it started (the data stays for the next up)
#   scripts/local-cluster.sh reset    down, then delete its folder (certificates, etcd data, kubeconfig)
#
# LOCAL_CLUSTER_NODE=1 gives the cluster a node (remembered for later ups of the same folder; =0 turns it
# off again); without one, objects are stored, validated and reconciled by the controllers, but no
# container runs, and everything listens on loopback. With one, the API server listens on the host end
# of the node's link instead (the kubeconfig says where).
# State lives in $LOCAL_CLUSTER_DIR (default <repo>/.cache/local-cluster, git-ignored): so a test can run
# its own cluster in a temporary folder next to yours. kubeconfig: $LOCAL_CLUSTER_DIR/kubeconfig.
# Ports: free ports picked on the first up and kept while free; LOCAL_CLUSTER_ETCD_PORT,
# LOCAL_CLUSTER_ETCD_PEER_PORT and LOCAL_CLUSTER_APISERVER_PORT fix them. The controller manager and the
# scheduler serve none. The binaries come from scripts/toolchain/ensure.sh, which `up` runs first.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
dir=${LOCAL_CLUSTER_DIR:-$repo/.cache/local-cluster}
upstream_dirs=("$repo/../shared/upstream" "$repo/../shared/upstream-operations")
ready_timeout_seconds=${LOCAL_CLUSTER_READY_TIMEOUT:-120}
# shellcheck source=scripts/node/lib.sh
. "$repo/scripts/node/lib.sh"
# shellcheck source=scripts/node/pki.sh
. "$repo/scripts/node/pki.sh"

# With a node or not: LOCAL_CLUSTER_NODE when set, else what the last up of this folder chose.
with_node=false
case "${LOCAL_CLUSTER_NODE:-}" in
    1 | true) with_node=true ;;
    0 | false) ;;
    "") [ -f "$dir/node-enabled" ] && with_node=true ;;
    *) echo "local-cluster: LOCAL_CLUSTER_NODE is 1 or 0, not '$LOCAL_CLUSTER_NODE'" >&2; exit 2 ;;
esac
processes=(etcd kube-apiserver kube-controller-manager) # start order; stopped in reverse
[ "$with_node" = false ] || processes+=(kube-scheduler)
# Where the API server listens: loopback, or the host end of the node's link (so the node reaches it).
api_address=127.0.0.1

# shellcheck source=scripts/cluster/control-plane.sh
. "$repo/scripts/cluster/control-plane.sh"
# shellcheck source=scripts/cluster/objects.sh
. "$repo/scripts/cluster/objects.sh"

say() { echo "local-cluster: $*"; }
fail() { echo "local-cluster: $*" >&2; exit 1; }

pid_of() { # the recorded pid of a process of this cluster, if it is still that process
    local pid
    pid=$(cat "$dir/run/$1.pid" 2>/dev/null) || return 1
    [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] || return 1
    # A reused pid runs something else: ours name this cluster's folder on their command line.
    { tr '\0' ' ' <"/proc/$pid/cmdline"; } 2>/dev/null | grep -qF -- "$dir/" || return 1
    echo "$pid"
}

# Processes anywhere on the machine whose command line names this cluster's folder (ours by construction:
# every flag file lives there), whether or not a pid file still points at them.
stray_pids() {
    local cmdline_file pid
    for cmdline_file in /proc/[0-9]*/cmdline; do
        pid=${cmdline_file#/proc/}
        pid=${pid%/cmdline}
        [ "$pid" != $$ ] || continue
        case "$({ tr '\0' ' ' <"$cmdline_file"; } 2>/dev/null)" in
            etcd\ *"$dir/"* | */etcd\ *"$dir/"* | *kube-apiserver\ *"$dir/"* | *kube-controller-manager\ *"$dir/"* | \
                *kube-scheduler\ *"$dir/"*) echo "$pid" ;;
        esac
    done
}

start() { # start <name> <command...>: detached in its own session, output to <name>.log
    local name=$1
    shift
    # No inherited descriptor: a lock of this script or its caller must not be held by what outlives it.
    close_fds setsid "$@" </dev/null >"$dir/log/$name.log" 2>&1 &
    echo $! >"$dir/run/$name.pid"
}

wait_until() { # wait_until <what> <command...>
    local what=$1 deadline=$((SECONDS + ready_timeout_seconds))
    shift
    until "$@" >/dev/null 2>&1; do
        if [ $SECONDS -ge $deadline ]; then
            fail "$what not ready after ${ready_timeout_seconds} s; logs in $dir/log/"
        fi
        for name in "${processes[@]}"; do
            if [ -f "$dir/run/$name.pid" ] && ! pid_of "$name" >/dev/null; then
                tail -n 20 "$dir/log/$name.log" >&2
                fail "$name exited while waiting for $what; its log is $dir/log/$name.log"
            fi
        done
        sleep 0.5
    done
}

apiserver_ready() { kubectl --kubeconfig "$dir/kubeconfig" get --raw /readyz >/dev/null 2>&1; }

running_count() {
    local count=0 name
    for name in "${processes[@]}"; do
        pid_of "$name" >/dev/null && count=$((count + 1))
    done
    echo $count
}

up() {
    if [ "$with_node" = true ]; then
        bash "$repo/scripts/node/check.sh" || fail "no node on this machine (see above); LOCAL_CLUSTER_NODE=0 runs the control plane alone"
        "$repo/scripts/toolchain/ensure.sh" kube etcd node-runtime kube-node registry kube-router coredns vault external-secrets
    else
        "$repo/scripts/toolchain/ensure.sh" kube etcd
    fi
    # shellcheck source=scripts/toolchain/env.sh
    . "$repo/scripts/toolchain/env.sh"
    mkdir -p "$dir/run" "$dir/log"
    exec 8>"$dir/run/.lock"
    flock 8
    if [ "$with_node" = true ]; then
        touch "$dir/node-enabled"
        bash "$repo/scripts/node/node.sh" network "$dir"
        load_node_network
        api_address=$NODE_HOST_IP
    else
        rm -f "$dir/node-enabled"
        [ ! -d "$node_dir" ] || bash "$repo/scripts/node/node.sh" down "$dir"
    fi
    local running listening=
    running=$(running_count)
    # shellcheck source=/dev/null  # written below
    [ ! -f "$dir/ports.env" ] || listening=$(. "$dir/ports.env" && echo "${API_ADDRESS:-127.0.0.1}")
    if [ "$running" -eq ${#processes[@]} ] && [ "$listening" = "$api_address" ] && apiserver_ready; then
        # The ports it listens on, for the node's steps below (a second `up` while it runs).
        # shellcheck source=/dev/null  # written by choose_ports
        . "$dir/ports.env"
        say "already running"
    else
        [ "$running" -eq 0 ] || down_control_plane # half up, or listening elsewhere: start clean
        make_certificates
        choose_ports
        write_kubeconfig "$dir/kubeconfig" admin
        write_kubeconfig "$dir/controller-manager.kubeconfig" controller-manager
        write_kubeconfig "$dir/kube-scheduler.kubeconfig" kube-scheduler
        local started=$SECONDS
        start_control_plane
        say "control plane ready in $((SECONDS - started)) s"
    fi
    install_storage
    install_crds
    if [ "$with_node" = true ]; then
        APISERVER_URL="https://$api_address:$APISERVER_PORT" KUBECONFIG="$dir/kubeconfig" \
            bash "$repo/scripts/node/node.sh" up "$dir"
        # What runs as pods: cluster DNS, then Vault and ESO (the stack's prerequisites).
        bash "$repo/scripts/node/images.sh" node "$dir"
        bash "$repo/scripts/node/addons.sh" dns "$dir"
        bash "$repo/scripts/node/images.sh" secrets "$dir"
        bash "$repo/scripts/node/addons.sh" vault "$dir"
    fi
    say "kubeconfig: $dir/kubeconfig   (kubectl: $(command -v kubectl))"
}

# The node (if any) first: it talks to the API server, whose address is the node's link.
down() {
    if [ -d "$node_dir" ]; then
        bash "$repo/scripts/node/node.sh" down "$dir"
    fi
    down_control_plane
}

down_control_plane() {
    local pids=() name pid
    for name in kube-scheduler kube-controller-manager kube-apiserver etcd; do
        pid=$(pid_of "$name") && pids+=("$pid")
    done
    while read -r pid; do [ -n "$pid" ] && pids+=("$pid"); done < <(stray_pids)
    if [ ${#pids[@]} -gt 0 ]; then
        kill -TERM "${pids[@]}" 2>/dev/null || true
        for _ in $(seq 1 40); do
            mapfile -t pids < <(for pid in "${pids[@]}"; do [ -d "/proc/$pid" ] && echo "$pid"; done)
            [ ${#pids[@]} -eq 0 ] && break
            sleep 0.25
        done
        [ ${#pids[@]} -eq 0 ] || kill -KILL "${pids[@]}" 2>/dev/null || true
        say "stopped"
    else
        say "not running"
    fi
    rm -f "$dir"/run/*.pid
}

status() {
    local name pid any=false code=0
    for name in "${processes[@]}"; do
        if pid=$(pid_of "$name"); then
            say "$name running (pid $pid)"
            any=true
        else
            say "$name not running"
        fi
    done
    if [ "$any" = true ] && [ -f "$dir/ports.env" ]; then
        # shellcheck source=/dev/null  # written by up
        . "$dir/ports.env"
        say "API server https://${API_ADDRESS:-127.0.0.1}:$APISERVER_PORT; kubeconfig $dir/kubeconfig"
    fi
    [ "$(running_count)" -eq ${#processes[@]} ] || code=1
    if [ "$with_node" = true ]; then
        bash "$repo/scripts/node/node.sh" status "$dir" || code=1
    fi
    return $code
}

case "${1:-}" in
    up) up ;;
    down) down ;;
    status) status ;;
    reset) down && rm -rf "$dir" && say "deleted $dir" ;;
    *) echo "usage: $0 up|down|status|reset   (LOCAL_CLUSTER_DIR=$dir)" >&2; exit 2 ;;
esac
