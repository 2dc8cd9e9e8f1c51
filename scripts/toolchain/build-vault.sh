#!/usr/bin/env bash
# Builds Vault into "$1" from github.com/hashicorp/vault as the Go module proxy serves it. Its go.mod
# replaces its own api, sdk and api/auth/* modules with folders of the repository (./api, ./sdk, ...),
# which a module zip does not hold (nested modules are cut out): drop those replace lines so the
# published versions its go.mod requires are used (v1.21.0: api v1.22.0, sdk v0.20.0); its other replaces
# name published modules and stay. No web UI (the `ui` build tag needs the UI's JavaScript build).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/toolchain/versions.sh
. "$here/versions.sh"
# shellcheck source=scripts/toolchain/go-module.sh
. "$here/go-module.sh"
make_work_dir
copy_module "github.com/hashicorp/vault@$VAULT_VERSION" "$work/src"
cd "$work/src"
sed -i -E '/^replace github\.com\/hashicorp\/vault\/[a-z/]+ => \.\//d' go.mod
GOFLAGS=-mod=mod GOWORK=off CGO_ENABLED=0 go build "${go_build_flags[@]}" \
    -ldflags "$go_ldflags" -o "$1/" .
