# shellcheck shell=bash
# Where the toolchain lives and how to tell what is there (sourced by ensure.sh and env.sh; needs versions.sh).

toolchain_root="${PERSISTENT_AGENTS_CACHE:-$HOME/.cache/persistent-agents}/toolchain"

component_version() {
    case "$1" in
        kube | kube-node) echo "${KUBERNETES_VERSION#v}" ;;
        coredns) echo "${COREDNS_VERSION#v}" ;;
        kube-router) echo "${KUBE_ROUTER_VERSION#v}" ;;
        registry) echo "${DISTRIBUTION_VERSION#v}" ;;
        vault) echo "${VAULT_VERSION#v}" ;;
        external-secrets) echo "${EXTERNAL_SECRETS_VERSION#v}" ;;
        node-runtime) echo debian ;;
        pulumi) echo "${PULUMI_VERSION#v}" ;;
        language-nodejs) echo "${LANGUAGE_NODEJS_VERSION#v}" ;;
        kubernetes-provider) echo "$KUBERNETES_PROVIDER_VERSION" ;;
        docker-build-provider) echo "${DOCKER_BUILD_PROVIDER_VERSION#v}" ;;
        etcd) echo debian ;;
        go) echo "${GO_TOOLCHAIN#go}" ;;
        *) return 1 ;;
    esac
}

# A Go program's folder names the Go that built it too: a new GO_TOOLCHAIN (a fix in the standard library)
# rebuilds every program with it instead of keeping binaries of the old one.
component_folder() {
    case "$1" in
        go | etcd | node-runtime) echo "$toolchain_root/$1-$(component_version "$1")" ;;
        *) echo "$toolchain_root/$1-$(component_version "$1")-$GO_TOOLCHAIN" ;;
    esac
}

# PATH without the toolchain's own bin folders: where an installed (official) CLI would be found.
path_without_toolchain() {
    local entry kept=()
    local IFS=:
    for entry in $PATH; do
        case "$entry" in "$toolchain_root"/*) ;; *) kept+=("$entry") ;; esac
    done
    echo "${kept[*]}"
}

official_pulumi() { # prints an installed Pulumi CLI that is not one of ours, if any
    [ "${PERSISTENT_AGENTS_BUILD_PULUMI:-0}" != 1 ] || return 1
    PATH=$(path_without_toolchain) command -v pulumi 2>/dev/null
}

uses_official_pulumi() { # the component comes with (or is fetched by) an installed official CLI
    case "$1" in
        pulumi | language-nodejs | kubernetes-provider | docker-build-provider) official_pulumi >/dev/null ;;
        *) return 1 ;;
    esac
}

# A go on PATH that can build everything here: new enough itself, or able to fetch the toolchain a module
# asks for (>= 1.21). Older or missing, ensure.sh puts GO_TOOLCHAIN in the go folder (env.sh: on PATH).
go_on_path_is_usable() {
    command -v go >/dev/null 2>&1 || return 1
    local have
    have=$(GOTOOLCHAIN=local go env GOVERSION 2>/dev/null | sed 's/^go//')
    [ "$(printf '%s\n1.21\n' "$have" | sort -V | head -n1)" = 1.21 ]
}

component_present() {
    case "$1" in
        etcd) command -v etcd >/dev/null 2>&1 ;;
        node-runtime) node_runtime_present ;;
        go) go_on_path_is_usable || [ -x "$(component_folder go)/bin/go" ] ;;
        *) uses_official_pulumi "$1" || [ -d "$(component_folder "$1")/bin" ] ;;
    esac
}

# The node's container runtime and packet filtering, from Debian (component node-runtime).
# shellcheck disable=SC2034  # read by ensure.sh
node_runtime_packages=(containerd runc containernetworking-plugins iptables ipset conntrack)
node_runtime_present() {
    command -v containerd >/dev/null 2>&1 && command -v runc >/dev/null 2>&1 && [ -x /usr/lib/cni/bridge ] &&
        command -v iptables >/dev/null 2>&1 && command -v ipset >/dev/null 2>&1 && command -v conntrack >/dev/null 2>&1
}
