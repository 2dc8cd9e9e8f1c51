#!/usr/bin/env bash
# Builds Kubernetes programs from k8s.io/kubernetes as the Go module proxy serves it, into "$1" (a bin
# folder): the commands named after it (folders under cmd/), by default kube-apiserver,
# kube-controller-manager and kubectl (component kube; build-kube-node.sh names the node's). Called by
# ensure.sh with Go on PATH.
#
# The module zip lacks ./staging (nested modules are cut out of a module zip), so the go.work and the
# "replace k8s.io/x => ./staging/..." block cannot resolve: drop both and require every k8s.io staging module
# at its published tag, which carries the same code (v1.34.4 <-> v0.34.4).
set -euo pipefail
out=$1
shift
commands=("$@")
[ ${#commands[@]} -gt 0 ] || commands=(kube-apiserver kube-controller-manager kubectl)
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/toolchain/versions.sh
. "$here/versions.sh"
staging_version=v0.${KUBERNETES_VERSION#v1.}

work=$(mktemp -d "${TMPDIR:-/tmp}/kube-src.XXXXXX")
trap 'chmod -R u+w "$work"; rm -rf "$work"' EXIT

src=$(go mod download -json "k8s.io/kubernetes@$KUBERNETES_VERSION" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
[ -d "$src" ] || { echo "could not download k8s.io/kubernetes@$KUBERNETES_VERSION from the Go module proxy" >&2; exit 1; }
cp -r "$src/." "$work/"
chmod -R u+w "$work"
cd "$work"
rm -f go.work go.work.sum
# Delete the replace block pointing into ./staging, then pin each staging module at its published version.
sed -i '/^replace (/,/^)/d' go.mod
sed -i -E "s#^(\tk8s\.io/[a-z-]+) v0\.0\.0\$#\1 $staging_version#" go.mod

export CGO_ENABLED=0 GOFLAGS=-mod=mod GOWORK=off
go build -trimpath -ldflags "-s -w \
    -X k8s.io/component-base/version.gitVersion=$KUBERNETES_VERSION \
    -X k8s.io/component-base/version.gitMajor=1 \
    -X k8s.io/component-base/version.gitMinor=$(echo "$KUBERNETES_VERSION" | cut -d. -f2) \
    -X k8s.io/client-go/pkg/version.gitVersion=$KUBERNETES_VERSION" \
    -o "$out/" "${commands[@]/#/./cmd/}"
