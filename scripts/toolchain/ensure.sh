#!/usr/bin/env bash
# Makes sure the real toolchain is on this machine, building from the Go module proxy what is missing:
#   ./scripts/toolchain/ensure.sh [component ...]     (no component = all of them)
# Components (versions in versions.sh):
#   pulumi                  the Pulumi CLI
#   language-nodejs         the Node.js language host the CLI starts for this TypeScript program
#   kubernetes-provider     pulumi-resource-kubernetes
#   docker-build-provider   pulumi-resource-docker-build
#   kube                    kube-apiserver, kube-controller-manager, kubectl
#   etcd                    Debian's etcd-server
#   kube-node               kubelet, kube-proxy, kube-scheduler (same version as kube) and the pause program
#   node-runtime            Debian's containerd, runc, CNI plugins, iptables, ipset, conntrack
#   coredns, kube-router, registry, vault, external-secrets
#                           what the local node runs (scripts/node/): cluster DNS, the NetworkPolicy
#                           enforcer, the OCI registry, Vault and the External Secrets Operator
#   go                      GO_TOOLCHAIN, the one Go that builds all of the above: the machine's go when it is
#                           that version; a go >= 1.21 fetches it from the Go module proxy by itself; an
#                           older or missing one (Debian's golang-go, installed if missing) downloads it into
#                           the go folder. The tests' tools (actionlint, promtool, buildkitd) use the same go.
# Each build lands in $PERSISTENT_AGENTS_CACHE/toolchain/<component>-<version>-<go>/bin/ (default cache:
# ~/.cache/persistent-agents), built in a temporary folder and moved into place, so a folder that exists
# is complete. A lock per component makes concurrent runs wait for one another instead of building twice.
# Prints what it built and how long each build took (also appended to build-times.log in that folder).
# `source scripts/toolchain/env.sh` then puts everything on PATH.
#
# An official Pulumi CLI already on PATH is used as is, with the plugins it installs itself: pulumi,
# language-nodejs and the two providers are then not built (set PERSISTENT_AGENTS_BUILD_PULUMI=1 to build
# them anyway).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/toolchain/versions.sh
. "$here/versions.sh"
# shellcheck source=scripts/toolchain/layout.sh
. "$here/layout.sh"

all_components=(go kube etcd pulumi language-nodejs kubernetes-provider docker-build-provider
    node-runtime kube-node coredns kube-router registry vault external-secrets)
components=("$@")
[ ${#components[@]} -gt 0 ] || components=("${all_components[@]}")
for component in "${components[@]}"; do
    component_version "$component" >/dev/null || {
        echo "ensure.sh: unknown component '$component'; known: ${all_components[*]}" >&2
        exit 2
    }
done

sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
apt_updated=false
apt_install() {
    if [ "$apt_updated" = false ]; then
        "${sudo_cmd[@]}" apt-get -o DPkg::Lock::Timeout=600 update -qq
        apt_updated=true
    fi
    echo "toolchain: installing Debian packages: $*"
    "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive \
        apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "$@" >/dev/null
}

# Go for the builds: GO_TOOLCHAIN, whatever go the machine has. Go >= 1.21 fetches it itself when GOTOOLCHAIN
# names it; an older go (Debian bookworm has 1.19) downloads the same module, golang.org/toolchain, and it
# is run from a copy in the toolchain folder.
go_ready=false
ensure_go() {
    [ "$go_ready" = false ] || return 0
    command -v go >/dev/null 2>&1 || apt_install golang-go ca-certificates
    local have
    have=$(GOTOOLCHAIN=local go env GOVERSION | sed 's/^go//')
    if [ "go$have" = "$GO_TOOLCHAIN" ]; then
        export GOTOOLCHAIN=local
    elif version_at_least "$have" 1.21; then
        echo "toolchain: the machine's go is $have; the go command fetches $GO_TOOLCHAIN from the Go module proxy"
        export GOTOOLCHAIN=$GO_TOOLCHAIN
    else
        local go_root
        go_root=$(component_folder go)
        if [ ! -x "$go_root/bin/go" ]; then
            echo "toolchain: go $have cannot switch toolchains; downloading golang.org/toolchain ($GO_TOOLCHAIN) from the Go module proxy"
            local module dir tmp
            module="golang.org/toolchain@v0.0.1-$GO_TOOLCHAIN.$(go env GOOS)-$(go env GOARCH)"
            dir=$(cd / && GO111MODULE=on go mod download -json "$module" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
            [ -d "$dir" ] || { echo "the Go module proxy did not serve $module" >&2; exit 1; }
            tmp=$(mktemp -d "$toolchain_root/.go.XXXXXX")
            cp -r "$dir/." "$tmp/"
            chmod -R u+w "$tmp"
            # Module zips carry no file modes; the go command marks these executable when it switches itself.
            chmod +x "$tmp"/bin/* "$tmp"/pkg/tool/*/*
            mv -T "$tmp" "$go_root"
        fi
        export PATH="$go_root/bin:$PATH" GOTOOLCHAIN=local
    fi
    echo "toolchain: building with $(go version)"
    go_ready=true
}

version_at_least() { # version_at_least <have> <want>: dotted numeric versions
    [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n1)" = "$2" ]
}

ensure_component() {
    local component=$1 version folder tmp started seconds
    version=$(component_version "$component")
    folder=$(component_folder "$component")

    if [ "$component" = go ]; then
        mkdir -p "$toolchain_root"
        ensure_go
        return 0
    fi
    if [ "$component" = etcd ]; then
        if ! command -v etcd >/dev/null 2>&1; then
            started=$SECONDS
            apt_install etcd-server
            echo "toolchain: installed etcd ($(etcd --version | head -n1)) in $((SECONDS - started)) s"
        fi
        return 0
    fi
    if [ "$component" = node-runtime ]; then
        if ! node_runtime_present; then
            started=$SECONDS
            apt_install "${node_runtime_packages[@]}"
            echo "toolchain: installed the node runtime ($(containerd --version | cut -d' ' -f3)) in $((SECONDS - started)) s"
        fi
        return 0
    fi
    if uses_official_pulumi "$component"; then
        echo "toolchain: $component: using the installed Pulumi CLI $(official_pulumi) and its plugins"
        return 0
    fi
    [ -d "$folder/bin" ] && return 0
    # One lock per component: a concurrent ensure.sh building it is waited for, then its result is used.
    exec 9>"$toolchain_root/.lock-$component"
    if ! flock -n 9; then
        echo "toolchain: another ensure.sh is building $component; waiting for it"
        flock 9
    fi
    if [ -d "$folder/bin" ]; then
        exec 9>&-
        return 0
    fi

    ensure_go
    # The pause program is C (build-kube-node.sh).
    if [ "$component" = kube-node ] && ! command -v gcc >/dev/null 2>&1; then
        apt_install gcc libc6-dev
    fi
    echo "toolchain: building $component $version (a cold build takes minutes; log: $folder.log)"
    tmp=$(mktemp -d "$toolchain_root/.build-$component.XXXXXX")
    chmod 755 "$tmp" # mktemp makes it private; the installed folder is readable like any program folder
    started=$SECONDS
    # A build cache of its own, removed after the build: the binaries are cached by version, so it would only
    # ever speed a rebuild of the same version, and kept it grows by gigabytes per component (a cold run's
    # caches once filled the disk).
    if ! GOCACHE="$tmp.gocache" nice -n 10 bash "$here/build-$component.sh" "$tmp/bin" >"$folder.log" 2>&1; then
        rm -rf "$tmp" "$tmp.gocache"
        tail -n 30 "$folder.log" >&2
        echo "toolchain: building $component $version failed; the whole log is $folder.log" >&2
        exit 1
    fi
    seconds=$((SECONDS - started))
    rm -rf "$tmp.gocache"
    mv -T "$tmp" "$folder"
    echo "toolchain: built $component $version in $seconds s: $(cd "$folder/bin" && echo *)"
    printf '%s\t%s\t%s\t%s s\t%s cores\n' "$(date -u +%FT%TZ)" "$component" "$version" "$seconds" "$(nproc)" \
        >>"$toolchain_root/build-times.log"
    exec 9>&-
}

missing=()
for component in "${components[@]}"; do
    component_present "$component" || missing+=("$component")
done
if [ ${#missing[@]} -eq 0 ]; then
    echo "toolchain: ready (${components[*]}): source scripts/toolchain/env.sh"
    exit 0
fi

mkdir -p "$toolchain_root"
started_all=$SECONDS
for component in "${missing[@]}"; do
    ensure_component "$component"
done
echo "toolchain: ready (${components[*]}) after $((SECONDS - started_all)) s: source scripts/toolchain/env.sh"
