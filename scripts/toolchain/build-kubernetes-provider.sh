#!/usr/bin/env bash
# Builds the Kubernetes provider plugin (pulumi-resource-kubernetes) into "$1". provider/v4 is served only
# at the v4.25.0 release commit (a pseudo-version); its go.mod says `replace …/sdk/v4 => ../sdk`, so
# sdk/v4@v4.25.0 goes beside it. `go generate` writes the schema files main.go embeds (not in the zip).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/toolchain/versions.sh
. "$here/versions.sh"
# shellcheck source=scripts/toolchain/go-module.sh
. "$here/go-module.sh"
make_work_dir
copy_module "github.com/pulumi/pulumi-kubernetes/provider/v4@$KUBERNETES_PROVIDER_MODULE_VERSION" "$work/provider"
copy_module "github.com/pulumi/pulumi-kubernetes/sdk/v4@v$KUBERNETES_PROVIDER_VERSION" "$work/sdk"
cd "$work/provider"
export GOFLAGS=-mod=mod GOWORK=off CGO_ENABLED=0
(cd cmd/pulumi-resource-kubernetes && VERSION=$KUBERNETES_PROVIDER_VERSION go generate)
go build "${go_build_flags[@]}" \
    -ldflags "$go_ldflags -X github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version.Version=$KUBERNETES_PROVIDER_VERSION" \
    -o "$1/" ./cmd/pulumi-resource-kubernetes
