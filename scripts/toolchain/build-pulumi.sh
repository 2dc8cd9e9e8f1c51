#!/usr/bin/env bash
# Builds the Pulumi CLI into "$1" from the pkg/v3 and sdk/v3 modules of one release. `go install …@version`
# is refused because pkg/go.mod says `replace github.com/pulumi/pulumi/sdk/v3 => ../sdk`: lay both module
# zips out side by side as pkg/ and sdk/, as in the pulumi repository, and build cmd/pulumi in pkg/.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/toolchain/versions.sh
. "$here/versions.sh"
# shellcheck source=scripts/toolchain/go-module.sh
. "$here/go-module.sh"
make_work_dir
copy_module "github.com/pulumi/pulumi/pkg/v3@$PULUMI_VERSION" "$work/pkg"
copy_module "github.com/pulumi/pulumi/sdk/v3@$PULUMI_VERSION" "$work/sdk"
cd "$work/pkg"
GOFLAGS=-mod=mod GOWORK=off CGO_ENABLED=0 go build "${go_build_flags[@]}" \
    -ldflags "$go_ldflags -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$PULUMI_VERSION" \
    -o "$1/" ./cmd/pulumi
