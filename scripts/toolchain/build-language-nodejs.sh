#!/usr/bin/env bash
# Builds the Node.js language host (pulumi-language-nodejs) into "$1". Its own module
# (sdk/nodejs/cmd/pulumi-language-nodejs/v3) is not served by the Go module proxy; sdk/v3@v3.68.0 is the
# newest sdk/v3 that still holds it as a package, and has no replace directives, so `go install` works.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/toolchain/versions.sh
. "$here/versions.sh"
# shellcheck source=scripts/toolchain/go-module.sh
. "$here/go-module.sh"
GOBIN=$1 GOWORK=off CGO_ENABLED=0 go install "${go_build_flags[@]}" \
    -ldflags "$go_ldflags -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$LANGUAGE_NODEJS_VERSION" \
    "github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs@$LANGUAGE_NODEJS_VERSION"
