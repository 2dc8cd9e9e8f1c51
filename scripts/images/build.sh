#!/usr/bin/env bash
# Builds the agent images with buildah, without Docker: the same contexts, named contexts and build args
# as the stack's docker-build (both from components/plan/images.ts, which reads images/builds.json), so a
# test of these images tests what `pulumi up` pushes.
#
#   scripts/images/build.sh [--sudo] [--tag-prefix PREFIX] [--tag TAG] [--no-cache] [--dry-run] [IMAGE...]
#
# IMAGE is a key of images/builds.json (desktop, computerControlMcp, shell, …; default: all). --sudo sets
# the sudo build arg to true (as the stack does when some agent has `sudo: true`). Images are tagged
# PREFIX/<repository>:TAG (default localhost/persistent-agents/…:dev; with --sudo, TAG-sudo: :dev-sudo).
# Base images come from scripts/images/base-standins.sh (pulled, or local stand-ins without a registry).
# --dry-run prints the buildah command lines (JSON arrays, one per image) and builds nothing. --no-cache
# builds every layer again (cold build times, docs/benchmarks.md).
#
# Build host configuration that must not end up in a layer (a CA bundle for a TLS-intercepting proxy)
# is passed as a build secret: BUILD_CA_BUNDLE (default: the host's bundle when NODE_EXTRA_CA_CERTS or
# PIP_CERT point at one) is mounted as secret `build-ca` for the npm and pip steps only.
#
# Prints one line per image: `<name> <tag> <image id> <size bytes> <seconds>` (the benchmarks use it).
# IMAGES_DIR builds another copy of images/ (e.g. `git archive` of a commit) instead of this work tree's.
# Run as root (rootful buildah; the layers cache lives in /var/lib/containers).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
export CONTAINERS_CONF=${CONTAINERS_CONF:-$here/containers.conf}

sudo_arg=false
dry_run=false
tag=dev
cache_args=()
prefix=localhost/persistent-agents
selected=()
while [ $# -gt 0 ]; do
    case "$1" in
        --sudo) sudo_arg=true ;;
        --dry-run) dry_run=true ;;
        --tag-prefix) prefix=$2; shift ;;
        --tag) tag=$2; shift ;;
        --no-cache) cache_args=(--no-cache) ;;
        -h|--help) sed -n '2,20p' "${BASH_SOURCE[0]}"; exit 0 ;;
        -*) echo "build.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
        *) selected+=("$1") ;;
    esac
    shift
done
[ "$sudo_arg" = true ] && tag=$tag-sudo


# One line per image: name, repository, context, then the buildah arguments, separated by \x1f, from
# components/plan/images.ts (the stack's own reading of builds.json, validated) through a tsx entry point.
build_plan() {
    local tsx="$repo/node_modules/.bin/tsx"
    [ -x "$tsx" ] || { echo "build.sh: run npm ci at the repository root first (tsx reads the build plan)" >&2; exit 2; }
    local args=()
    [ "$sudo_arg" = true ] && args+=(--sudo)
    [ -n "${IMAGES_DIR:-}" ] && args+=(--images-dir "$IMAGES_DIR")
    "$tsx" "$here/build-plan.ts" "${args[@]}" "$@"
}

ca_bundle=${BUILD_CA_BUNDLE:-${NODE_EXTRA_CA_CERTS:-${PIP_CERT:-}}}
secret_args=()
if [ -n "$ca_bundle" ]; then
    [ -f "$ca_bundle" ] || { echo "build.sh: BUILD_CA_BUNDLE=$ca_bundle is not a file" >&2; exit 2; }
    secret_args=(--secret "id=build-ca,src=$ca_bundle")
fi

plan=$(build_plan "${selected[@]}")
if [ "$dry_run" = true ]; then
    while IFS= read -r line; do
        IFS=$'\x1f' read -r -a fields <<<"$line"
        node -e 'console.log(JSON.stringify(process.argv.slice(1)))' -- buildah build --format docker --network host \
            --pull=never --layers "${fields[@]:3}" -t "$prefix/${fields[1]}:$tag" "${fields[2]}"
    done <<<"$plan"
    exit 0
fi
command -v buildah >/dev/null 2>&1 || { echo "build.sh: buildah is missing (apt-get install buildah podman runc)" >&2; exit 2; }
bash "$here/base-standins.sh"

while IFS= read -r line; do
    IFS=$'\x1f' read -r -a fields <<<"$line"
    name=${fields[0]} repository=${fields[1]} context=${fields[2]}
    image_tag="$prefix/$repository:$tag"
    printf '==> building %s as %s\n' "$name" "$image_tag" >&2
    started=$(date +%s)
    buildah build --format docker --network host --pull=never --layers \
        "${cache_args[@]}" "${secret_args[@]}" "${fields[@]:3}" -t "$image_tag" "$context" >&2
    seconds=$(( $(date +%s) - started ))
    id=$(podman image inspect --format '{{.Id}}' "$image_tag")
    size=$(podman image inspect --format '{{.Size}}' "$image_tag")
    printf '%s %s %s %s %s\n' "$name" "$image_tag" "${id:0:12}" "$size" "$seconds"
done <<<"$plan"
