# shellcheck shell=bash
# Helpers for build-*.sh (sourced): fetch a module from the Go module proxy and copy it somewhere writable.

# copy_module <path>@<version> <destination>: the module's files, writable (the module cache is read-only).
copy_module() {
    local dir
    dir=$(go mod download -json "$1" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
    if [ ! -d "$dir" ]; then
        echo "the Go module proxy did not serve $1 (GOPROXY=$(go env GOPROXY))" >&2
        return 1
    fi
    mkdir -p "$2"
    cp -r "$dir/." "$2/"
    chmod -R u+w "$2"
}

# A scratch folder removed on exit (made writable first: go leaves read-only files behind).
make_work_dir() {
    work=$(mktemp -d "${TMPDIR:-/tmp}/toolchain-build.XXXXXX")
    # shellcheck disable=SC2064  # expand $work now
    trap "chmod -R u+w '$work' 2>/dev/null; rm -rf '$work'" EXIT
}

# Small, quick builds: no paths of this machine in the binaries, no symbol tables or DWARF.
# shellcheck disable=SC2034  # used by the scripts that source this file
go_build_flags=(-trimpath)
# shellcheck disable=SC2034
go_ldflags="-s -w"
