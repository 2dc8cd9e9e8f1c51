#!/usr/bin/env bash
# Builds the registry of distribution into "$1": the local node's OCI registry, which the images are pushed
# to and pulled from by digest.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/toolchain/versions.sh
. "$here/versions.sh"
# shellcheck source=scripts/toolchain/go-module.sh
. "$here/go-module.sh"
# shellcheck source=scripts/toolchain/go-program.sh
. "$here/go-program.sh"
build_go_program "github.com/distribution/distribution/v3@$DISTRIBUTION_VERSION" ./cmd/registry "$1" "-X github.com/distribution/distribution/v3/version.version=${DISTRIBUTION_VERSION}"
