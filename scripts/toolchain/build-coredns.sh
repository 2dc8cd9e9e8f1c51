#!/usr/bin/env bash
# Builds CoreDNS into "$1": cluster DNS, run as a pod of the local node. The module root is its main
# package, with the default plugins (plugin.cfg's generated files are in the module).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/toolchain/versions.sh
. "$here/versions.sh"
# shellcheck source=scripts/toolchain/go-module.sh
. "$here/go-module.sh"
# shellcheck source=scripts/toolchain/go-program.sh
. "$here/go-program.sh"
build_go_program "github.com/coredns/coredns@$COREDNS_VERSION" . "$1" "-X github.com/coredns/coredns/coremain.GitCommit=${COREDNS_VERSION}"
