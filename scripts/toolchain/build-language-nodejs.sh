#!/usr/bin/env bash
# Builds the Node.js language host (pulumi-language-nodejs) into "$1". Its own module
# (sdk/nodejs/cmd/pulumi-language-nodejs/v3) is not served by the Go module proxy; sdk/v3@v3.68.0 is the
# newest sdk/v3 that still holds it as a package. `go install …@version` refuses the module's one replace
# directive (golang.org/x/text), so it is built inside a copy of the module, where the replace applies.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/toolchain/versions.sh
. "$here/versions.sh"
# shellcheck source=scripts/toolchain/go-module.sh
. "$here/go-module.sh"
make_work_dir
copy_module "github.com/pulumi/pulumi/sdk/v3@$LANGUAGE_NODEJS_VERSION" "$work/sdk"
cd "$work/sdk"
GOFLAGS=-mod=mod GOWORK=off CGO_ENABLED=0 go build "${go_build_flags[@]}" \
    -ldflags "$go_ldflags -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$LANGUAGE_NODEJS_VERSION" \
    -o "$1/" ./nodejs/cmd/pulumi-language-nodejs
