#!/usr/bin/env bash
# Builds the ESO template renderer (main.go: text/template + sprig v3.3.0, as External Secrets Operator's
# engine v2) once per source version, from the Go module proxy, into
# ${PERSISTENT_AGENTS_CACHE:-~/.cache/persistent-agents}/eso-template-render-<hash>/, and prints the
# binary's path. A built folder is complete: it is built in a temporary folder and moved into place.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
version=$(cat "$here/main.go" "$here/go.mod" "$here/go.sum" | sha256sum | cut -c1-12)
cache="${PERSISTENT_AGENTS_CACHE:-$HOME/.cache/persistent-agents}"
target="$cache/eso-template-render-$version"
# A go that understands go.mod's toolchain lines (>= 1.21): the one on PATH, else the one
# scripts/toolchain/ensure.sh fetched into the cache when the machine's go is older (Debian bookworm: 1.19).
find_go() {
    local candidate version
    for candidate in "$(command -v go || true)" "$cache"/toolchain/go-*/bin/go; do
        [ -x "$candidate" ] || continue
        version=$(GOTOOLCHAIN=local "$candidate" env GOVERSION 2>/dev/null | sed 's/^go//')
        if [ "$(printf '%s\n1.21\n' "$version" | sort -V | head -n1)" = "1.21" ]; then
            echo "$candidate"
            return 0
        fi
    done
    return 1
}
if [ ! -x "$target/eso-template-render" ]; then
    go=$(find_go) || {
        echo "no go >= 1.21 to build the ESO template renderer: run scripts/toolchain/ensure.sh (it fetches one) or install Go" >&2
        exit 1
    }
    mkdir -p "$cache"
    work=$(mktemp -d "$cache/.eso-template-render.XXXXXX")
    (cd "$here" && "$go" build -trimpath -ldflags="-s -w" -o "$work/eso-template-render" .) >&2
    mv -T "$work" "$target" 2>/dev/null || rm -rf "$work" # another build won the race: keep its folder
fi
echo "$target/eso-template-render"
