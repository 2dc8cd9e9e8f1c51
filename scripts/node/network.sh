#!/usr/bin/env bash
# The local node's network: a network namespace of its own joined to the host by one veth pair.
#   scripts/node/network.sh up|down <cluster folder>
# up makes the namespace and the pair (idempotent) and writes $node_dir/network.env:
#   NODE_HOST_IP  the host end (the API server listens there; the node reaches the host only there)
#   NODE_IP       the node's address (kubelet serves there, the registry at :5000)
# The pair gets the first /30 of 172.31.240.0/20 that no address or route of the host already covers,
# picked under a machine-wide lock so two nodes never get the same one. The namespace has no default
# route: pods reach each other, the node and the API server's address, and nothing beyond this machine.
# The namespace is kept by a bind mount on the file $node_dir/netns (not under /run/netns, which other
# tools share); processes enter it with `nsenter --net=<that file>`. down unmounts it (the node's
# processes must be gone by then); the pair, the node's bridge, its pod links and every iptables rule
# made inside go with the namespace. Nothing is ever added to the host's firewall.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
action=${1:?usage: network.sh up|down <cluster folder>}
dir=${2:?usage: network.sh up|down <cluster folder>}
# shellcheck source=scripts/node/lib.sh
. "$here/lib.sh"

say() { echo "local-node: $*"; }

netns_exists() { mountpoint -q "$node_netns_file" 2>/dev/null; }
in_node() { nsenter --net="$node_netns_file" "$@"; }

# An address of the host, or a route other than the default one, inside <a.b.c.d>/30.
subnet_taken() {
    local base=$1 prefix=${1%.*} last=${1##*.} offset
    for offset in 0 1 2 3; do
        if ip -4 -o addr show | grep -q " $prefix\.$((last + offset))/"; then return 0; fi
        if ip -4 route show match "$prefix.$((last + offset))" | grep -qv '^default'; then return 0; fi
    done
    ip -4 route show | grep -q "^$base/30 " && return 0
    return 1
}

up() {
    mkdir -p "$node_dir"
    if netns_exists && ip link show "$node_host_link" >/dev/null 2>&1 && load_node_network; then
        return 0
    fi
    # Half made (an interrupted up): start over.
    if netns_exists || ip link show "$node_host_link" >/dev/null 2>&1; then down_quietly; fi
    mkdir -p "$nodes_state"
    exec 7>"$nodes_state/network.lock"
    flock 7
    local index base=
    for index in $(seq 0 1023); do
        local candidate="172.31.$((240 + index / 64)).$(((index % 64) * 4))"
        if ! subnet_taken "$candidate"; then base=$candidate; break; fi
    done
    [ -n "$base" ] || { say "no free /30 left in 172.31.240.0/20 for the node's link" >&2; exit 1; }
    local prefix=${base%.*} last=${base##*.}
    NODE_HOST_IP=$prefix.$((last + 1))
    NODE_IP=$prefix.$((last + 2))
    touch "$node_netns_file"
    unshare --net="$node_netns_file" true
    ip link add "$node_host_link" type veth peer name "$node_link" netns "$node_netns_file"
    ip addr add "$NODE_HOST_IP/30" dev "$node_host_link"
    ip link set "$node_host_link" up
    in_node ip link set lo up
    in_node ip addr add "$NODE_IP/30" dev "$node_link"
    in_node ip link set "$node_link" up
    printf 'NODE_HOST_IP=%s\nNODE_IP=%s\n' "$NODE_HOST_IP" "$NODE_IP" >"$node_network_env"
    exec 7>&-
    say "network namespace $node_netns_file, link $node_host_link: host $NODE_HOST_IP, node $NODE_IP"
}

down_quietly() {
    # Deleting one end of a pair deletes both; the namespace goes once nothing runs in it any more.
    ip link del "$node_host_link" 2>/dev/null || true
    if netns_exists; then umount "$node_netns_file"; fi
    rm -f "$node_network_env" "$node_netns_file"
}

case "$action" in
    up) up ;;
    down) down_quietly ;;
    *) echo "usage: network.sh up|down <cluster folder>" >&2; exit 2 ;;
esac
