#!/usr/bin/env bash
# Runs a command with a /tmp, a /dev/shm and a network of its own (Linux mount and network namespaces).
#
#   tests/desktop-e2e/private-host.sh [--host-network] COMMAND [ARG...]
#
# What the desktop tests start then meets nothing of the host's or of another run's: X servers (their
# /tmp/.X11-unix sockets and /tmp/.X<n>-lock files, their abstract sockets), session buses, browser
# profiles and every test server's port are private, so two runs at once never collide, and the host's
# own /tmp/.X11-unix (its mode or its sockets: a root-owned 0755 one once failed a run) does not matter.
# The private /tmp and /dev/shm are memory file systems: whatever the run leaves there is gone when the
# command ends. Nothing inside reaches the network beyond the private loopback, so prepare (apt-get, pip)
# before. Root uses plain namespaces; another user gets a user namespace that maps its own UID.
# --host-network keeps the host's network (the agent loop's runtime image runs in podman and may call a
# real model): only /tmp and /dev/shm are private then, which is what keeps the desktop's files (Xvnc's
# /tmp/.X11-unix, xfce4-session's /tmp/.ICE-unix sockets: libICE's folder is fixed) off the host.
set -euo pipefail

if [[ "${PRIVATE_HOST_INSIDE:-}" == 1 ]]; then
  unset PRIVATE_HOST_INSIDE
  mount -t tmpfs -o mode=1777 private-tmp /tmp
  mount -t tmpfs -o mode=1777 private-shm /dev/shm
  [[ "${PRIVATE_HOST_NETWORK:-}" == host ]] || ip link set lo up
  unset PRIVATE_HOST_NETWORK
  export TMPDIR=/tmp
  exec "$@"
fi

network=private
if [[ "${1:-}" == --host-network ]]; then network=host; shift; fi
[[ $# -gt 0 ]] || { echo "usage: private-host.sh [--host-network] COMMAND [ARG...]" >&2; exit 2; }
command -v ip >/dev/null 2>&1 || { echo "private-host.sh: ip is missing (apt-get install iproute2)" >&2; exit 2; }
# What the host has, for the run to check it is elsewhere (tests/desktop-e2e/test_isolation.py).
PRIVATE_HOST_OUTSIDE="tmp=$(stat -c %d /tmp) shm=$(stat -c %d /dev/shm) net=$(readlink /proc/self/ns/net)"
export PRIVATE_HOST_OUTSIDE
namespaces=(--mount --propagation private)
[[ $network == host ]] || namespaces+=(--net)
[[ $EUID -eq 0 ]] || namespaces=(--user --map-current-user "${namespaces[@]}")
exec unshare "${namespaces[@]}" env PRIVATE_HOST_INSIDE=1 PRIVATE_HOST_NETWORK="$network" bash "${BASH_SOURCE[0]}" "$@"
