#!/usr/bin/env bash
# Builds the External Secrets Operator into "$1": one binary (the controller, and webhook/certcontroller
# subcommands), built inside the module so its one replace (a published sprig fork) applies. Beside the bin
# folder ("$1/../crds/") goes the module's GeneratorState CRD: this version's ExternalSecret controller
# watches that kind, which the cluster's upstream ESO CRDs (../shared/upstream) do not include.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/toolchain/versions.sh
. "$here/versions.sh"
# shellcheck source=scripts/toolchain/go-module.sh
. "$here/go-module.sh"
# shellcheck source=scripts/toolchain/go-program.sh
. "$here/go-program.sh"
build_go_program "github.com/external-secrets/external-secrets@$EXTERNAL_SECRETS_VERSION" . "$1"
mkdir -p "$1/../crds"
cp "$work/src/config/crds/bases/generators.external-secrets.io_generatorstates.yaml" "$1/../crds/"
