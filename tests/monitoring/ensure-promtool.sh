#!/usr/bin/env bash
# Prints the path of promtool (Prometheus's own rule checker and unit-test runner), building it from the Go
# module proxy the first time. No Debian package ships a promtool recent enough for the rule syntax we use
# (bookworm's prometheus is 2.42), and release downloads are not an option, so the module proxy it is.
# Cached by version under ${PERSISTENT_AGENTS_CACHE:-$HOME/.cache/persistent-agents}/promtool-<version>/.
set -euo pipefail

# github.com/prometheus/prometheus v0.316.0 is Prometheus 3.16.0 (the module's v0.3MM.P tags mirror v3.MM.P).
# renovate: datasource=go depName=github.com/prometheus/prometheus
PROMTOOL_MODULE_VERSION=${PROMTOOL_MODULE_VERSION:-v0.316.0}

cache=${PERSISTENT_AGENTS_CACHE:-$HOME/.cache/persistent-agents}
target=$cache/promtool-$PROMTOOL_MODULE_VERSION
if [ -x "$target/promtool" ]; then
    echo "$target/promtool"
    exit 0
fi

# Go from scripts/toolchain/ensure.sh (the machine's when >= 1.21, which fetches the toolchain a module asks
# for; else the one ensure.sh fetched, which env.sh puts on PATH).
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
"$repo/scripts/toolchain/ensure.sh" go >&2
# shellcheck source=scripts/toolchain/env.sh
. "$repo/scripts/toolchain/env.sh"
mkdir -p "$cache"
work=$(mktemp -d "$cache/.promtool-build.XXXXXX")
trap 'rm -rf "$work"' EXIT
echo "ensure-promtool: building promtool $PROMTOOL_MODULE_VERSION from the Go module proxy (a few minutes, once)" >&2
# GOTOOLCHAIN=auto lets an older local go fetch the toolchain the module's go.mod asks for (also from the proxy).
# nice: the machine is shared with other builds.
CGO_ENABLED=0 GOTOOLCHAIN=${GOTOOLCHAIN:-auto} GOBIN="$work/bin" GOFLAGS=-mod=mod \
    nice -n 10 go install -trimpath -ldflags "-s -w" \
    "github.com/prometheus/prometheus/cmd/promtool@$PROMTOOL_MODULE_VERSION" >&2
"$work/bin/promtool" --version >/dev/null
mkdir -p "$work/out" && mv "$work/bin/promtool" "$work/out/promtool"
# Atomic publish: a concurrent run either sees no folder or a complete one.
mv -T "$work/out" "$target" 2>/dev/null || [ -x "$target/promtool" ]
echo "$target/promtool"
