#!/usr/bin/env bash
# What a local node left on the host after `scripts/local-cluster.sh down`, one line per thing; exit 1 when
# anything is left. The node tier runs it after every run; run it yourself after a test of your own.
#   scripts/node/leftovers.sh <cluster folder>
# Checks, for this cluster's node: processes (any whose command line names the folder, any still in the
# node's cgroups), mounts under the folder, the host end of its link, its cgroups in every hierarchy, and
# rules of kube-proxy, kubelet or kube-router (KUBE-*) or for the pods' range in the host's iptables; and,
# when no other node of the machine runs, the machine-wide register (which also lists the host folders
# nodes had to make, removed with it). The machine-wide settings kubelet changes are checked by the node
# tier, which knows their values before the run.
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
dir=$(cd "${1:?usage: leftovers.sh <cluster folder>}" 2>/dev/null && pwd || echo "$1")
# shellcheck source=scripts/node/lib.sh
. "$here/lib.sh"
left=()

for cmdline in /proc/[0-9]*/cmdline; do
    pid=${cmdline#/proc/}
    pid=${pid%/cmdline}
    if [ "$pid" = $$ ] || [ "$pid" = "$BASHPID" ]; then continue; fi
    text=$({ tr '\0' ' ' <"$cmdline"; } 2>/dev/null) || continue
    case "$text" in *"$dir/"* | *"$dir "*) [[ "$text" == *leftovers.sh* ]] || left+=("process $pid: ${text:0:120}") ;; esac
done
for hierarchy in $(cgroup_hierarchies) /sys/fs/cgroup/unified; do
    [ -d "$hierarchy$node_cgroup" ] && left+=("cgroup $hierarchy$node_cgroup")
done
while read -r mount_point; do
    left+=("mount $mount_point")
done < <(awk -v root="$dir/" 'index($5, root) == 1 { print $5 }' /proc/self/mountinfo)
ip link show "$node_host_link" >/dev/null 2>&1 && left+=("link $node_host_link")
if command -v iptables-save >/dev/null 2>&1; then
    while read -r rule; do
        left+=("host iptables: $rule")
    done < <(iptables-save 2>/dev/null | grep -E '^[:-].*(KUBE-|10\.244\.)' | head -n 5)
fi
if [ ! -d "$nodes_state" ] || [ -z "$(find "$nodes_state" -name 'node-*' -print -quit 2>/dev/null)" ]; then
    [ -d "$nodes_state" ] && left+=("machine-wide register $nodes_state (no node runs)")
fi

if [ ${#left[@]} -gt 0 ]; then
    printf 'local-node: left behind by %s:\n' "$dir" >&2
    printf '  %s\n' "${left[@]}" >&2
    exit 1
fi
echo "local-node: nothing of $dir is left on the host"
