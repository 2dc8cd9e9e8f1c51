#!/usr/bin/env bash
# Prints the path of buildkitd (BuildKit's daemon, the stand-in for the stack's build service in
# tests/images/test_image_builds.py), building it first from the Go module proxy if it is not cached:
# ${PERSISTENT_AGENTS_CACHE:-~/.cache/persistent-agents}/buildkitd-<version>/buildkitd.
set -euo pipefail

BUILDKIT_VERSION=v0.34.2 # the version of buildctl in images/shell/buildctl/go.mod
cache_root=${PERSISTENT_AGENTS_CACHE:-$HOME/.cache/persistent-agents}
dir="$cache_root/buildkitd-$BUILDKIT_VERSION"

if [ ! -x "$dir/buildkitd" ]; then
    # Go from scripts/toolchain/ensure.sh (the machine's when >= 1.21, else the one it fetched).
    repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
    "$repo/scripts/toolchain/ensure.sh" go >&2
    # shellcheck source=scripts/toolchain/env.sh
    . "$repo/scripts/toolchain/env.sh"
    mkdir -p "$cache_root"
    tmp=$(mktemp -d "$cache_root/.buildkitd.XXXXXX")
    trap 'rm -rf "$tmp"' EXIT
    echo "ensure-buildkitd: building buildkitd $BUILDKIT_VERSION from the Go module proxy (a few minutes, once)" >&2
    # A module of its own that requires buildkit as a tool: `go install pkg@version` refuses buildkit's
    # go.mod (it has exclude directives). GOTOOLCHAIN=auto fetches the Go that buildkit's go.mod asks for.
    (cd "$tmp" && go mod init buildkitd-build >/dev/null 2>&1 \
        && GOTOOLCHAIN=auto GOFLAGS=-mod=mod go get -tool "github.com/moby/buildkit/cmd/buildkitd@$BUILDKIT_VERSION" >&2 \
        && CGO_ENABLED=0 GOTOOLCHAIN=auto GOFLAGS=-mod=mod go build -trimpath -ldflags "-s -w" -o "$tmp/buildkitd" github.com/moby/buildkit/cmd/buildkitd >&2)
    "$tmp/buildkitd" --version >&2
    mv -T "$tmp" "$dir" 2>/dev/null || rm -rf "$tmp"
    trap - EXIT
fi
printf '%s\n' "$dir/buildkitd"
