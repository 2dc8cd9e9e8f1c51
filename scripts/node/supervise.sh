#!/usr/bin/env bash
# The node's first process: node.sh starts it in the node's network namespace and a mount namespace of
# its own (nsenter --net, unshare --mount), and it starts the node's daemons as its children, so that
# they all share those namespaces:
#   containerd, the registry, kubelet, kube-proxy and kube-router (NetworkPolicies).
#   scripts/node/supervise.sh <cluster folder>      (never by hand: node.sh up)
# Mounts made here exist only in this mount namespace and vanish with its last process: the private
# state folder (containerd's state, the pods' network namespaces, the CNI address leases), containerd's
# shim sockets under /run/containerd, kubelet's /var/log/containers links, a sysfs of this network
# namespace, and every pod volume kubelet mounts. The host's /run, /var and /sys are never written.
# It stays as long as its children run; node.sh down stops them all through the node's cgroup.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
dir=${1:?usage: supervise.sh <cluster folder>}
# shellcheck source=scripts/node/lib.sh
. "$here/lib.sh"
load_node_network
# shellcheck source=/dev/null  # written by node.sh: the binaries' folders
. "$node_dir/binaries.env"

log() { echo "$(date -u +%FT%TZ) supervise: $*"; }

# Every process of the node in the node's own cgroup (its children inherit it), apart from the pods.
for hierarchy in $(cgroup_hierarchies); do
    echo $$ >"$hierarchy$node_cgroup/node/cgroup.procs"
done

mount --make-rprivate /
mount -t tmpfs -o mode=0755 node-state "$node_dir/state"
mount -t tmpfs -o mode=0711 node-containerd /run/containerd
mount -t tmpfs -o mode=0755 node-container-logs /var/log/containers
# A sysfs of this network namespace (/sys/class/net lists the node's links), with the cgroup
# hierarchies moved over from the host's /sys.
mkdir "$node_dir/state/cgroup"
mount --rbind /sys/fs/cgroup "$node_dir/state/cgroup"
mount -t sysfs -o nosuid,nodev,noexec node-sysfs /sys
mount --move "$node_dir/state/cgroup" /sys/fs/cgroup
# kubelet's root shared within the namespace, as kubelet expects for mount propagation into pods.
mount --bind "$node_dir/kubelet" "$node_dir/kubelet"
mount --make-shared "$node_dir/kubelet"
# Per network namespace: routing between the pods' bridge and the node link, bridged pod traffic
# through iptables (kube-proxy's Services, kube-router's policies).
sysctl -q -w net.ipv4.ip_forward=1 net.bridge.bridge-nf-call-iptables=1 net.bridge.bridge-nf-call-ip6tables=1

children=()
start() { # start <name> <command...>
    local name=$1
    shift
    "$@" </dev/null >>"$dir/log/node-$name.log" 2>&1 &
    children+=($!)
    echo $! >"$node_dir/run/$name.pid"
    log "started $name (pid $!)"
}
wait_for() { # wait_for <what> <seconds> <command...>
    local what=$1 deadline=$((SECONDS + $2))
    shift 2
    until "$@" >/dev/null 2>&1; do
        [ $SECONDS -lt $deadline ] || { log "$what not ready after $2 s"; exit 1; }
        sleep 0.2
    done
}

start containerd containerd --config "$node_dir/containerd.toml"
wait_for "containerd" 60 test -S /run/containerd/containerd.sock
start registry "$REGISTRY_BIN" serve "$node_dir/registry.yml"
start kubelet "$KUBE_NODE_BIN/kubelet" --config "$node_dir/kubelet.yaml" --kubeconfig "$node_dir/kubelet.kubeconfig" \
    --root-dir "$node_dir/kubelet" --hostname-override "$node_name" --node-ip "$NODE_IP"
start kube-proxy "$KUBE_NODE_BIN/kube-proxy" --config "$node_dir/kube-proxy.yaml"
# kube-router looks its Node up once, at start: after kubelet has registered it.
wait_for "the Node object" 120 "$KUBECTL" --kubeconfig "$node_dir/kube-router.kubeconfig" get node "$node_name"
start kube-router "$KUBE_ROUTER_BIN" --kubeconfig "$node_dir/kube-router.kubeconfig" --hostname-override "$node_name" \
    --run-firewall=true --run-router=false --run-service-proxy=false --enable-ipv6=false \
    --service-cluster-ip-range "$service_cidr" --health-port 0 --metrics-port 0

# Stay while the daemons run; one that exits is logged (node.sh status reports it).
while [ ${#children[@]} -gt 0 ]; do
    set +e
    wait -n -p ended "${children[@]}"
    status=$?
    set -e
    log "process $ended exited with status $status"
    remaining=()
    for pid in "${children[@]}"; do [ "$pid" = "$ended" ] || remaining+=("$pid"); done
    children=("${remaining[@]}")
done
