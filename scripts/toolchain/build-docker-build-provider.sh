#!/usr/bin/env bash
# Builds the docker-build provider plugin (pulumi-resource-docker-build) into "$1", with the two modules its
# go.mod names only for schema metadata replaced by local stand-ins (stand-ins/README.md).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/toolchain/versions.sh
. "$here/versions.sh"
# shellcheck source=scripts/toolchain/go-module.sh
. "$here/go-module.sh"
make_work_dir
copy_module "github.com/pulumi/pulumi-docker-build@$DOCKER_BUILD_PROVIDER_VERSION" "$work/docker-build"
cp -r "$here/stand-ins" "$work/stand-ins"
cd "$work/docker-build"
export GOFLAGS=-mod=mod GOWORK=off CGO_ENABLED=0
go mod edit \
    -replace "github.com/pulumi/pulumi-java=../stand-ins/pulumi-java" \
    -replace "github.com/pulumi/pulumi-dotnet/pulumi-language-dotnet/v3=../stand-ins/pulumi-language-dotnet"
go build "${go_build_flags[@]}" \
    -ldflags "$go_ldflags -X github.com/pulumi/pulumi-docker-build/provider.Version=${DOCKER_BUILD_PROVIDER_VERSION#v}" \
    -o "$1/" ./provider/cmd/pulumi-resource-docker-build
