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
if [ ! -x "$target/eso-template-render" ]; then
    command -v go >/dev/null || { echo "go is not installed: it builds the ESO template renderer (apt-get install golang-go)" >&2; exit 1; }
    mkdir -p "$cache"
    work=$(mktemp -d "$cache/.eso-template-render.XXXXXX")
    (cd "$here" && go build -trimpath -ldflags="-s -w" -o "$work/eso-template-render" .) >&2
    mv -T "$work" "$target" 2>/dev/null || rm -rf "$work" # another build won the race: keep its folder
fi
echo "$target/eso-template-render"
