#!/usr/bin/env bash
# Can this machine run the local node? Tries, in throw-away namespaces that vanish at once, each kernel
# feature the node needs, and prints one line per missing one; exit 0 when nothing is missing.
#   scripts/node/check.sh            (scripts/local-cluster.sh runs it before starting a node)
# Nothing on the host is changed: the links, rules and sets are made inside `unshare --net`.
set -uo pipefail
missing=()
need() { # need <what is missing, said to a person> <command...>: the command must succeed
    local what=$1
    shift
    "$@" >/dev/null 2>&1 || missing+=("$what")
}

if [ "$(id -u)" -ne 0 ]; then
    echo "local node: needs root (network and mount namespaces, cgroups, iptables)" >&2
    exit 1
fi
for command in ip unshare nsenter mount containerd runc iptables ipset conntrack; do
    command -v "$command" >/dev/null 2>&1 || missing+=("the command $command (scripts/toolchain/ensure.sh node-runtime installs the node's Debian packages)")
done
[ -x /usr/lib/cni/bridge ] && [ -x /usr/lib/cni/host-local ] && [ -x /usr/lib/cni/loopback ] ||
    missing+=("the CNI plugins in /usr/lib/cni (Debian's containernetworking-plugins)")

cgroup_v1() { [ -f /sys/fs/cgroup/memory/cgroup.procs ] && [ -f /sys/fs/cgroup/pids/cgroup.procs ] && [ -f /sys/fs/cgroup/cpu/cgroup.procs ]; }
if [ -f /sys/fs/cgroup/cgroup.controllers ]; then
    missing+=("support for a cgroup v2 host (this machine has the unified hierarchy; scripts/node drives cgroup v1 hierarchies only so far)")
elif ! cgroup_v1; then
    missing+=("cgroup v1 hierarchies for memory, pids and cpu under /sys/fs/cgroup (none are mounted, or the kernel has no cgroups)")
elif ! [ -w /sys/fs/cgroup/memory ]; then
    missing+=("a writable /sys/fs/cgroup (the cgroup hierarchies are read-only here)")
fi
grep -qw overlay /proc/filesystems || missing+=("overlayfs in the kernel (containerd's overlayfs snapshotter)")
need "network namespaces (unshare --net)" unshare --net true
need "mount namespaces (unshare --mount)" unshare --mount true
need "veth links in the kernel" unshare --net ip link add check0 type veth peer name check1
need "bridge links in the kernel" unshare --net ip link add check0 type bridge
need "br_netfilter (/proc/sys/net/bridge: bridged pod traffic through iptables, for kube-proxy and NetworkPolicies)" \
    unshare --net test -e /proc/sys/net/bridge/bridge-nf-call-iptables
need "iptables' filter and nat tables in the kernel" unshare --net sh -c 'iptables -t nat -S && iptables -t filter -S'
need "ip sets in the kernel (hash:ip, for kube-router's NetworkPolicies)" unshare --net ipset create check hash:ip

if [ ${#missing[@]} -gt 0 ]; then
    echo "local node: this machine cannot run a node; missing:" >&2
    printf '  - %s\n' "${missing[@]}" >&2
    echo "The control plane alone still works there: LOCAL_CLUSTER_NODE=0 (docs/local-stack.md)." >&2
    exit 1
fi
