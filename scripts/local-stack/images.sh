#!/usr/bin/env bash
# The agents' images on the local node: built with buildah from images/builds.json (scripts/images/build.sh,
# the definition `pulumi up` builds from on a real cluster; its layer cache makes a rebuild take seconds),
# then pushed to the node's registry.
#   scripts/local-stack/images.sh <cluster folder> [IMAGE...]
# Prints one line per image: `<key of images/builds.json> <reference by digest>`, e.g.
#   desktop localhost:5000/agents/desktop@sha256:...
# (the key is the stack's `platform.images.<key>`). Each image is pushed by the id the build printed, so a
# build elsewhere that moves the same tag meanwhile cannot change what is pushed.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
dir=${1:?usage: images.sh <cluster folder> [IMAGE...]}
shift
repository=${LOCAL_STACK_IMAGE_REPOSITORY:-agents}

built=$(bash "$repo/scripts/images/build.sh" "$@")
while read -r name tag id _size _seconds; do
    [ -n "$name" ] || continue
    # The registry repository: <imageRepository>/<repository of builds.json>, as the stack names it.
    image_repository=${tag#*/persistent-agents/}
    image_repository=${image_repository%:*}
    echo "$name $(bash "$repo/scripts/node/images.sh" push "$dir" "$id" "$repository/$image_repository")"
done <<<"$built"
