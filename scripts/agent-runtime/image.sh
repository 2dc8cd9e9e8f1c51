#!/usr/bin/env bash
# Kagent 0.10's agent runtime as an image (images/kagent-runtime: kagent-adk 0.10.4 from PyPI), built with
# buildah from its base (a registry's or the local stand-in, scripts/images/base-standins.sh) and the same
# CA secret scripts/images/build.sh passes; layers cached in the containers storage, so a warm build takes
# seconds. Prints the local tag. Needs root, buildah and podman (installed from Debian when missing).
#   scripts/agent-runtime/image.sh
# Used by tests/agent-loop/run.sh (the runtime as a podman container) and tests/node/run.sh (pushed to the
# node's registry and run as the agent's kagent pod).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
tag=localhost/persistent-agents/kagent-runtime:dev

[[ $EUID -eq 0 ]] || { echo "agent-runtime image: building needs root (buildah)" >&2; exit 1; }
if ! command -v buildah >/dev/null || ! command -v podman >/dev/null; then
  echo "agent-runtime image: installing buildah and podman from Debian" >&2
  apt-get -o DPkg::Lock::Timeout=600 update -qq
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends buildah podman >/dev/null
fi
export CONTAINERS_CONF="${CONTAINERS_CONF:-$repo/scripts/images/containers.conf}"
printf 'agent-runtime image: building %s\n' "$tag" >&2
bash "$repo/scripts/images/base-standins.sh" >&2
ca=()
[[ -s /etc/ssl/certs/ca-certificates.crt ]] && ca=(--secret "id=build-ca,src=/etc/ssl/certs/ca-certificates.crt")
buildah build --quiet --format docker --network host --layers --pull=never "${ca[@]}" -t "$tag" \
  -f "$repo/images/kagent-runtime/Dockerfile" "$repo/images/kagent-runtime" >&2
echo "$tag"
