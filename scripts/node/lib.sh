# shellcheck shell=bash
# shellcheck disable=SC2034  # the names below are read by the scripts that source this file
# The local node's layout, sourced by scripts/node/*.sh and scripts/local-cluster.sh with $dir set to the
# cluster's folder (LOCAL_CLUSTER_DIR). Everything of one node is named after a hash of that folder, so
# two clusters (two test runs) each have a node of their own: network namespace, host link, cgroup root.
: "${dir:?set dir to the cluster folder before sourcing scripts/node/lib.sh}"

node_dir=$dir/node
node_id=$(printf '%s' "$dir" | sha256sum | cut -c1-8)
# The node's network namespace (kept by a bind mount on this file), and the host end of the veth pair
# that joins it to the host (an interface name has at most 15 characters). Inside the namespace the
# other end is called node0.
node_netns_file=$node_dir/netns
node_host_link=pa-$node_id
node_link=node0
node_name=local-node
# kubelet's cgroupRoot in every cgroup hierarchy; the node's own processes (containerd, kubelet, ...) run
# in $node_cgroup/node, the pods in $node_cgroup/kubepods.
node_cgroup=/pa-node-$node_id
# Inside the node's network namespace only: the pods' and Services' ranges, the DNS Service's address.
cluster_cidr=10.244.0.0/16
service_cidr=10.0.0.0/24
cluster_dns=10.0.0.10
cluster_domain=cluster.local
# The registry listens on port 5000 of the node (its address and its loopback): images are pushed from
# the host to <node address>:5000 and pulled by containerd, inside the node, as localhost:5000/...@sha256:...
registry_port=5000
registry_host=localhost:$registry_port
# Machine-wide (all nodes of this machine): running nodes and the global settings they change.
nodes_state=/run/persistent-agents-nodes

# The addresses network.sh picked for this node (NODE_HOST_IP on the host end, NODE_IP inside).
node_network_env=$node_dir/network.env
load_node_network() {
    # shellcheck source=/dev/null  # written by network.sh
    [ -f "$node_network_env" ] && . "$node_network_env"
}

# Every cgroup v1 hierarchy mounted under /sys/fs/cgroup (cpu, memory, pids, ..., name=systemd).
cgroup_hierarchies() {
    local path
    for path in /sys/fs/cgroup/*/; do
        [ -f "$path/cgroup.procs" ] && [ ! -f "$path/cgroup.controllers" ] && echo "${path%/}"
    done
}

# close_fds <command...>: runs it with no file descriptor but 0, 1 and 2, so that no lock of a caller
# (e.g. `flock <file> scripts/local-cluster.sh up`) is held by a daemon after up returns.
close_fds() {
    local fd
    for fd in /proc/"$BASHPID"/fd/*; do
        fd=${fd##*/}
        [ "$fd" -le 2 ] || eval "exec $fd>&-" 2>/dev/null || true
    done
    exec "$@"
}
