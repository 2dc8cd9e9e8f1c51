#!/usr/bin/env bash
# The images, built for real and run as the pods the stack renders (test-all.sh step "images: build
# (cached) and run the rendered pods"):
#   1. installs podman, buildah, runc, debootstrap, docker-registry and htpasswd from Debian if missing
#      (root), and buildkitd from the Go module proxy (cached; tests/images/ensure-buildkitd.sh);
#   2. builds the three images with scripts/images/build.sh (buildah's layer cache makes reruns fast;
#      base images are pulled, or local stand-ins without a registry), plus the shell with sudo;
#   3. renders test-cluster's Deployments under Pulumi mocks (tests/images/render-pods.ts);
#   4. runs pytest on tests/images with the desktop end-to-end test's venv (official MCP client, Pillow).
# Extra arguments go to pytest (e.g. `-k databot`). IMAGES_TEST_SKIP_BUILD=1 reuses the built images.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
state=${IMAGES_TEST_STATE:-/var/tmp/persistent-agents-images-test}
export CONTAINERS_CONF=${CONTAINERS_CONF:-$repo/scripts/images/containers.conf}

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

mkdir -p "$state"
if [ "${IMAGES_TEST_SKIP_BUILD:-0}" != 1 ]; then
    started=$(date +%s)
    bash "$repo/scripts/images/build.sh" | tee "$state/build.txt"
    bash "$repo/scripts/images/build.sh" --sudo shell | tee -a "$state/build.txt"
    log "images built in $(( $(date +%s) - started )) s"
fi

buildkitd=$(bash "$here/ensure-buildkitd.sh")

log "rendering test-cluster's pods"
"$repo/node_modules/.bin/tsx" "$here/render-pods.ts" >"$state/pods.json"

venv=$(bash "$repo/tests/desktop-e2e/run.sh" --print-venv)
cd "$here"
IMAGES_TEST_PODS="$state/pods.json" IMAGES_TEST_STATE="$state" IMAGES_TEST_BUILDKITD="$buildkitd" PYTHONDONTWRITEBYTECODE=1 \
    exec "$venv/bin/python" -m pytest -p no:cacheprovider --timeout=600 -v "$here" "$@"
