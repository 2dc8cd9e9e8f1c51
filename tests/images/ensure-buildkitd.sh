#!/usr/bin/env bash
# Prints the path of a BuildKit command built from the Go module proxy, building it first if it is not
# cached: ${PERSISTENT_AGENTS_CACHE:-~/.cache/persistent-agents}/<command>-<version>/<command>.
#   ensure-buildkitd.sh            buildkitd, the daemon (the stand-in for the stack's build service in
#                                  tests/images/test_image_builds.py and tests/build-isolation)
#   ensure-buildkitd.sh buildctl   its client, as the shell image has it (tests/build-isolation)
set -euo pipefail

# renovate: datasource=go depName=github.com/moby/buildkit
BUILDKIT_VERSION=v0.34.2 # the version of buildctl in images/shell/buildctl/go.mod
command=${1:-buildkitd}
case "$command" in
buildkitd | buildctl) ;;
*) echo "ensure-buildkitd.sh: unknown command '$command' (buildkitd or buildctl)" >&2; exit 2 ;;
esac
cache_root=${PERSISTENT_AGENTS_CACHE:-$HOME/.cache/persistent-agents}
dir="$cache_root/$command-$BUILDKIT_VERSION"

if [ ! -x "$dir/$command" ]; then
    # Go from scripts/toolchain/ensure.sh (the machine's when >= 1.21, else the one it fetched).
    repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
    "$repo/scripts/toolchain/ensure.sh" go >&2
    # shellcheck source=scripts/toolchain/env.sh
    . "$repo/scripts/toolchain/env.sh"
    mkdir -p "$cache_root"
    tmp=$(mktemp -d "$cache_root/.$command.XXXXXX")
    trap 'rm -rf "$tmp"' EXIT
    echo "ensure-buildkitd: building $command $BUILDKIT_VERSION from the Go module proxy (a few minutes, once)" >&2
    # A module of its own that requires buildkit as a tool: `go install pkg@version` refuses buildkit's
    # go.mod (it has exclude directives). GOTOOLCHAIN=auto fetches the Go that buildkit's go.mod asks for.
    (cd "$tmp" && go mod init "$command-build" >/dev/null 2>&1 \
        && GOTOOLCHAIN=auto GOFLAGS=-mod=mod go get -tool "github.com/moby/buildkit/cmd/$command@$BUILDKIT_VERSION" >&2 \
        && CGO_ENABLED=0 GOTOOLCHAIN=auto GOFLAGS=-mod=mod go build -trimpath -ldflags "-s -w" -o "$tmp/$command" "github.com/moby/buildkit/cmd/$command" >&2)
    "$tmp/$command" --version >&2
    mv -T "$tmp" "$dir" 2>/dev/null || rm -rf "$tmp"
    trap - EXIT
fi
printf '%s\n' "$dir/$command"
