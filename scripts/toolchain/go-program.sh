# shellcheck shell=bash
# shellcheck disable=SC2154  # work, go_build_flags and go_ldflags come from go-module.sh
# build_go_program <module>@<version> <package> <bin folder> [ldflags]: builds one program of a module the Go
# module proxy serves, inside a writable copy of the module (so its own replace directives apply, which
# `go install …@version` refuses), statically (CGO_ENABLED=0). Sourced by the build-*.sh of the node's
# programs; needs go-module.sh.
build_go_program() {
    local module=$1 package=$2 out=$3 ldflags=${4:-}
    make_work_dir
    copy_module "$module" "$work/src"
    cd "$work/src" || return 1
    GOFLAGS=-mod=mod GOWORK=off CGO_ENABLED=0 go build "${go_build_flags[@]}" -ldflags "$go_ldflags $ldflags" \
        -o "$out/" "$package"
}
