#!/usr/bin/env bash
# Go vulnerability scan, one of the static checks (scripts/static-checks.sh runs it; alone:
# `bash scripts/go-vulnerabilities.sh`). govulncheck in source mode, with the Go vulnerability database
# built from the Go module proxy (no network access to vuln.go.dev is needed), over every Go module of the
# repository (`git ls-files '*go.mod'`):
#   - a module that an image's Dockerfile builds from (its `COPY …go.mod` line: images/buildkitd,
#     images/shell/buildctl) is scanned with the Go of that Dockerfile's `ARG GO_TOOLCHAIN`, so its standard
#     library findings are the image's; its `tool` packages are the programs the image builds (buildctl,
#     buildkitd), at the versions its go.mod and go.sum pin;
#   - every other module (test helpers, stand-ins) with the project's Go, GO_TOOLCHAIN of
#     scripts/toolchain/versions.sh.
# Every finding fails the check (called, imported, or only required: what an image scanner reports), unless
# go-vulnerabilities.allowed (next to this script) lists its id for that module's folder, with a reason. An
# allow-list line that matches no finding fails too, so the list only holds what is still there.
#
# The database: the module golang.org/x/vulndb at VULNDB_VERSION (it has no releases, only
# pseudo-versions; its data/osv folder is the database's source), turned into govulncheck's file:// layout
# by its own cmd/indexdb, cached per version. To update: `go list -m golang.org/x/vulndb@latest`, put the
# version below, run this script.
#
# Environment:
#   STATIC_CHECKS_ROOT   repository to scan (default: the one holding this script)
#   STATIC_CHECKS_CACHE  where govulncheck and the database are kept (default: <repo>/.cache/static-checks)
#   GO_VULNERABILITIES_ALLOWED  the allow-list (default: go-vulnerabilities.allowed next to this script)
set -euo pipefail

# renovate: datasource=go depName=golang.org/x/vuln
GOVULNCHECK_VERSION=v1.10.0
# Not managed by Renovate: golang.org/x/vulndb has no releases, only pseudo-versions (see above).
VULNDB_VERSION=v0.0.0-20261105234957-e22db6528018

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
tools_repo=$(cd "$here/.." && pwd)
root=$(cd "${STATIC_CHECKS_ROOT:-$tools_repo}" && pwd)
cache=${STATIC_CHECKS_CACHE:-$tools_repo/.cache/static-checks}
allowed=${GO_VULNERABILITIES_ALLOWED:-$here/go-vulnerabilities.allowed}
# shellcheck source=scripts/toolchain/versions.sh
. "$tools_repo/scripts/toolchain/versions.sh"

log() { printf '==> %s\n' "$*" >&2; }
die() { printf 'go-vulnerabilities: %s\n' "$*" >&2; exit 2; }

modules=()
while IFS= read -r file; do modules+=("$(dirname "$file")"); done < <(git -C "$root" ls-files '*go.mod' 'go.mod')
if [ "${#modules[@]}" -eq 0 ]; then
    log "go vulnerabilities: no go.mod in $root, nothing to scan"
    exit 0
fi
command -v go >/dev/null 2>&1 || die "go is missing; run scripts/toolchain/ensure.sh go and . scripts/toolchain/env.sh"
command -v python3 >/dev/null 2>&1 || die "python3 is missing (it reads govulncheck's JSON)"

mkdir -p "$cache"
work=$(mktemp -d "$cache/.go-vulnerabilities.XXXXXX")
trap 'rm -rf "$work"' EXIT

# Built with the project's Go: govulncheck type-checks the standard library of the Go it scans with its own
# go/types, which must know that Go's language (go1.26's rejects go1.27's generic methods).
govulncheck="$cache/govulncheck-$GOVULNCHECK_VERSION-$GO_TOOLCHAIN/govulncheck"
if [ ! -x "$govulncheck" ]; then
    log "installing govulncheck $GOVULNCHECK_VERSION with $GO_TOOLCHAIN (go install, from the Go module proxy)"
    GOTOOLCHAIN=$GO_TOOLCHAIN GOBIN="$work/govulncheck" GOFLAGS=-mod=mod nice -n 10 \
        go install "golang.org/x/vuln/cmd/govulncheck@$GOVULNCHECK_VERSION" >&2
    mv -T "$work/govulncheck" "$(dirname "$govulncheck")" 2>/dev/null || true
fi

database="$cache/vulndb-$VULNDB_VERSION"
if [ ! -f "$database/index/db.json" ]; then
    log "building the vulnerability database from golang.org/x/vulndb@$VULNDB_VERSION (Go module proxy)"
    GOBIN="$work/bin" GOFLAGS=-mod=mod nice -n 10 go install "golang.org/x/vulndb/cmd/indexdb@$VULNDB_VERSION" >&2
    source_dir=$(GOFLAGS=-mod=mod go mod download -json "golang.org/x/vulndb@$VULNDB_VERSION" |
        python3 -c 'import json, sys; print(json.load(sys.stdin)["Dir"])')
    "$work/bin/indexdb" -vulns "$source_dir/data/osv" -out "$work/db"
    mv -T "$work/db" "$database" 2>/dev/null || true
fi

# The Go version ("1.26.8") an image's Dockerfile builds <module folder> with, if one COPYs its go.mod.
image_go() {
    local module=$1 dockerfile context source toolchain
    for dockerfile in "$root"/images/*/Dockerfile; do
        [ -f "$dockerfile" ] || continue
        context=$(dirname "${dockerfile#"$root"/}")
        while read -r source; do
            if [ "$(realpath -m "$context/$source")" = "$(realpath -m "$module/go.mod")" ]; then
                toolchain=$(sed -n 's/^ARG GO_TOOLCHAIN=v[0-9.]*-go\([0-9.]*\)\..*/\1/p' "$dockerfile" | head -n1)
                [ -n "$toolchain" ] || die "${dockerfile#"$root"/} copies $module/go.mod but has no ARG GO_TOOLCHAIN"
                printf '%s %s\n' "$toolchain" "${dockerfile#"$root"/}"
                return 0
            fi
        done < <(awk 'toupper($1) == "COPY" { for (i = 2; i < NF; i++) if ($i ~ /(^|\/)go\.mod$/) print $i }' "$dockerfile")
    done
    return 1
}

# Runs a command in $module's folder with the Go $go_version first on PATH, the go command fetching it from
# the module proxy when it is not the local one (GOTOOLCHAIN alone is not enough: go/packages asks the go
# command its version with GO111MODULE=off, where GOTOOLCHAIN does not switch, and would then type-check a
# newer standard library at the older Go's language version). -mod=readonly scans exactly what go.mod and
# go.sum pin.
in_module() {
    local goroot
    goroot=$(cd / && GOTOOLCHAIN="go$go_version" go env GOROOT) || die "go$go_version: not served by the Go module proxy?"
    (cd "$root/$module" && PATH="$goroot/bin:$PATH" GOTOOLCHAIN=local GOFLAGS=-mod=readonly "$@")
}

log "go vulnerabilities: govulncheck $GOVULNCHECK_VERSION, database golang.org/x/vulndb@$VULNDB_VERSION"
for module in "${modules[@]}"; do
    go_version=${GO_TOOLCHAIN#go} built_by="the project's Go, scripts/toolchain/versions.sh"
    if found=$(image_go "$module"); then
        go_version=${found%% *} built_by=${found#* }
    fi
    patterns=()
    [ -z "$(in_module go list ./... 2>/dev/null)" ] || patterns+=(./...)
    [ -z "$(in_module go list tool 2>/dev/null)" ] || patterns+=(tool)
    [ "${#patterns[@]}" -gt 0 ] || die "$module: go list finds no packages (cd $module && go list ./... tool)"
    log "$module: ${patterns[*]} with go$go_version ($built_by)"
    scan="$work/$(printf '%s' "$module" | tr '/' '_').json"
    # In JSON mode govulncheck exits 0 with findings too; go-vulnerabilities.py judges them.
    in_module nice -n 10 "$govulncheck" -db "file://$database" -format json "${patterns[@]}" >"$scan" ||
        die "$module: govulncheck failed"
    printf '%s\t%s\n' "$module" "$scan" >>"$work/scans"
done

python3 "$here/go-vulnerabilities.py" "$work/scans" "$allowed" "${allowed#"$root"/}"
