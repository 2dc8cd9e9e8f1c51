#!/usr/bin/env bash
# Builds kube-router into "$1": its network policy controller enforces the stack's NetworkPolicies on the
# local node (scripts/node/supervise.sh runs it with the firewall only).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/toolchain/versions.sh
. "$here/versions.sh"
# shellcheck source=scripts/toolchain/go-module.sh
. "$here/go-module.sh"
# shellcheck source=scripts/toolchain/go-program.sh
. "$here/go-program.sh"
build_go_program "github.com/cloudnativelabs/kube-router/v2@$KUBE_ROUTER_VERSION" ./cmd/kube-router "$1" "-X github.com/cloudnativelabs/kube-router/v2/pkg/version.Version=${KUBE_ROUTER_VERSION}"
