#!/usr/bin/env bash
# The images, built for real and run as the pods the stack renders (test-all.sh step "images: build
# (cached) and run the rendered pods"):
#   1. installs podman, buildah, runc, debootstrap, docker-registry and htpasswd from Debian if missing
#      (root), and buildkitd from the Go module proxy (cached; tests/images/ensure-buildkitd.sh);
#   2. builds the three images with scripts/images/build.sh (buildah's layer cache makes reruns fast;
#      base images are pulled, or local stand-ins without a registry), plus the shell with sudo;
#   3. renders test-cluster's Deployments under Pulumi mocks (tests/images/render-pods.ts);
#   4. runs pytest on tests/images with the desktop end-to-end test's venv (official MCP client, Pillow).
# Extra arguments go to pytest (e.g. `-k databot`). IMAGES_TEST_SKIP_BUILD=1 reuses the images built with
# IMAGES_TEST_TAG (default dev).
# Runs at the same time do not meet: each tags its images dev-<run> (the layers are shared through buildah's
# cache) and names its pods and volumes with -<run>, its scratch folder is its own (IMAGES_TEST_STATE, or a
# fresh folder removed afterwards), and every server a test starts listens on an ephemeral port.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
export CONTAINERS_CONF=${CONTAINERS_CONF:-$repo/scripts/images/containers.conf}
run=$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')

log() { printf 'images-test: %s\n' "$*" >&2; }

[ "$(id -u)" -eq 0 ] || { log "run as root (rootful podman and buildah)"; exit 2; }

missing=()
# catatonit: podman builds each pod's infra (pause) image from it ("finding pause binary" without it).
for package in podman buildah runc catatonit debootstrap docker-registry apache2-utils; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ "${#missing[@]}" -gt 0 ]; then
    log "installing ${missing[*]} from Debian"
    apt-get -o DPkg::Lock::Timeout=600 update -qq
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# podman's first pod with CNI networking leaves, on the host, the cni-podman0 bridge, the CNI firewall and
# hostport chains in iptables and a bind mount on /run/netns. What this run finds absent it removes at the
# end, once no network namespace is left under /run/netns (another run's pods would still hold theirs).
had_bridge=false had_chains=false had_netns_mount=false
ip link show cni-podman0 >/dev/null 2>&1 && had_bridge=true
iptables -S CNI-FORWARD >/dev/null 2>&1 && had_chains=true
mountpoint -q /run/netns && had_netns_mount=true
remove_cni_leftovers() {
    [ -z "$(ls -A /run/netns 2>/dev/null)" ] || return 0
    if ! $had_chains; then
        iptables -D FORWARD -m comment --comment "CNI firewall plugin rules" -j CNI-FORWARD 2>/dev/null || true
        local chain
        for chain in CNI-FORWARD CNI-ADMIN; do
            if iptables -F "$chain" 2>/dev/null; then iptables -X "$chain" 2>/dev/null || true; fi
        done
        iptables -t nat -D PREROUTING -m addrtype --dst-type LOCAL -j CNI-HOSTPORT-DNAT 2>/dev/null || true
        iptables -t nat -D OUTPUT -m addrtype --dst-type LOCAL -j CNI-HOSTPORT-DNAT 2>/dev/null || true
        iptables -t nat -D POSTROUTING -m comment --comment "CNI portfwd requiring masquerade" -j CNI-HOSTPORT-MASQ 2>/dev/null || true
        for chain in CNI-HOSTPORT-DNAT CNI-HOSTPORT-MASQ CNI-HOSTPORT-SETMARK; do
            if iptables -t nat -F "$chain" 2>/dev/null; then iptables -t nat -X "$chain" 2>/dev/null || true; fi
        done
    fi
    $had_bridge || ip link delete cni-podman0 2>/dev/null || true
    if ! $had_netns_mount && mountpoint -q /run/netns; then umount /run/netns 2>/dev/null || true; fi
}

own_tags=()
cleanup() {
    [ "${#own_tags[@]}" -eq 0 ] || podman rmi "${own_tags[@]}" >/dev/null 2>&1 || true
    if [ -z "${IMAGES_TEST_STATE:-}" ]; then rm -rf "$state"; fi
    remove_cni_leftovers
}
trap cleanup EXIT
if [ -n "${IMAGES_TEST_STATE:-}" ]; then
    state=$IMAGES_TEST_STATE
    mkdir -p "$state"
else
    state=$(mktemp -d /var/tmp/persistent-agents-images-test.XXXXXX)
fi

if [ "${IMAGES_TEST_SKIP_BUILD:-0}" != 1 ]; then
    tag=${IMAGES_TEST_TAG:-dev-$run}
    started=$(date +%s)
    bash "$repo/scripts/images/build.sh" --tag "$tag" | tee "$state/build.txt"
    bash "$repo/scripts/images/build.sh" --tag "$tag" --sudo shell | tee -a "$state/build.txt"
    log "images built in $(( $(date +%s) - started )) s"
    if [ -z "${IMAGES_TEST_TAG:-}" ]; then
        mapfile -t own_tags < <(awk '{ print $2 }' "$state/build.txt")
        # The sudo probe image tests/images/test_sudo.py derives from the shell image.
        own_tags+=("localhost/persistent-agents/shell-sudo-probe:$tag")
    fi
else
    tag=${IMAGES_TEST_TAG:-dev}
fi

buildkitd=$(bash "$here/ensure-buildkitd.sh")

log "rendering test-cluster's pods"
"$repo/node_modules/.bin/tsx" "$here/render-pods.ts" >"$state/pods.json"

venv=$(bash "$repo/tests/desktop-e2e/run.sh" --print-venv)
cd "$here"
IMAGES_TEST_PODS="$state/pods.json" IMAGES_TEST_STATE="$state" IMAGES_TEST_BUILDKITD="$buildkitd" \
    IMAGES_TEST_TAG="$tag" IMAGES_TEST_RUN="$run" PYTHONDONTWRITEBYTECODE=1 \
    "$venv/bin/python" -m pytest -p no:cacheprovider --timeout=600 -v "$here" "$@"
