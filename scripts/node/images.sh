#!/usr/bin/env bash
# Images on the local node's registry (pulled by containerd, inside the node, as localhost:5000/...).
#   scripts/node/images.sh push <cluster folder> <local image> <repository>
#       pushes an image of the local containers storage (buildah's, podman's) to the node's registry as
#       <repository>:latest and prints the reference pods use: localhost:5000/<repository>@sha256:<digest>
#   scripts/node/images.sh node|secrets <cluster folder>
#       the images the node itself runs, each one program from the toolchain cache in an image FROM scratch
#       (built once per version, kept in the local storage): `node` the pod sandbox's pause and CoreDNS,
#       `secrets` Vault and the External Secrets Operator, `tools` (for tests) Debian's static busybox as
#       BUSYBOX_IMAGE (entrypoint /bin/busybox: `args: [nc, ...]`); pushes them and writes their references
#       to <node>/images.env.
# Layers go to the registry uncompressed: it is on this machine, and gzip costs more time than the bytes.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
action=${1:?usage: images.sh push|node|secrets|tools <cluster folder> ...}
dir=${2:?usage: images.sh push|node|secrets|tools <cluster folder> ...}
# shellcheck source=scripts/node/lib.sh
. "$here/lib.sh"
# shellcheck source=scripts/toolchain/versions.sh
. "$repo/scripts/toolchain/versions.sh"
# shellcheck source=scripts/toolchain/layout.sh
. "$repo/scripts/toolchain/layout.sh"
export CONTAINERS_CONF=${CONTAINERS_CONF:-$repo/scripts/images/containers.conf}
load_node_network || { echo "images.sh: the node of $dir is not up" >&2; exit 1; }

command -v buildah >/dev/null 2>&1 || {
    echo "images.sh: installing buildah and podman from Debian" >&2
    apt-get -o DPkg::Lock::Timeout=600 update -qq
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends buildah podman >/dev/null
}

push() { # push <local image> <repository> [tag]: prints the reference by digest
    local digest_file
    digest_file=$(mktemp "$node_dir/run/digest.XXXXXX")
    buildah push --quiet --tls-verify=false --disable-compression --digestfile "$digest_file" \
        "$1" "docker://$NODE_IP:$registry_port/$2:${3:-latest}" >&2
    echo "$registry_host/$2@$(cat "$digest_file")"
    rm -f "$digest_file"
}

# from_scratch <image> <program file> <path in the image> <user>: one static program, nothing else.
from_scratch() {
    local image=$1 program=$2 target=$3 user=$4 container
    if buildah inspect --type image "$image" >/dev/null 2>&1; then
        return 0
    fi
    [ -x "$program" ] || { echo "images.sh: $program is missing (scripts/toolchain/ensure.sh builds it)" >&2; exit 1; }
    container=$(buildah from --pull=never scratch)
    buildah copy --quiet --chmod 0755 "$container" "$program" "$target" >/dev/null
    buildah config --entrypoint "[\"$target\"]" --cmd '[]' --user "$user" \
        --label "org.opencontainers.image.description=persistent-agents local node: $target" "$container"
    buildah commit --quiet --format oci --rm "$container" "$image" >/dev/null
}

# record <NAME> <reference>: kept in <node>/images.env, one NAME=reference per line.
record() {
    touch "$node_dir/images.env"
    { grep -v "^$1=" "$node_dir/images.env" || true; echo "$1=$2"; } >"$node_dir/images.env.new"
    mv "$node_dir/images.env.new" "$node_dir/images.env"
}

prefix=localhost/persistent-agents-node
node_images() { # what every node runs: the pod sandbox and cluster DNS
    # UID 65535 as the pause image of registry.k8s.io.
    from_scratch "$prefix/pause:$KUBERNETES_VERSION" "$(component_folder kube-node)/pause/pause" /pause 65535:65535
    from_scratch "$prefix/coredns:$COREDNS_VERSION" "$(component_folder coredns)/bin/coredns" /coredns 65532:65532
    # The sandbox image is named by tag in containerd's configuration (scripts/node/config.sh).
    push "$prefix/pause:$KUBERNETES_VERSION" node/pause "$KUBERNETES_VERSION" >/dev/null
    record COREDNS_IMAGE "$(push "$prefix/coredns:$COREDNS_VERSION" node/coredns)"
}

secrets_images() { # Vault and the External Secrets Operator
    from_scratch "$prefix/vault:$VAULT_VERSION" "$(component_folder vault)/bin/vault" /bin/vault 100:1000
    from_scratch "$prefix/external-secrets:$EXTERNAL_SECRETS_VERSION" \
        "$(component_folder external-secrets)/bin/external-secrets" /external-secrets 65532:65532
    record VAULT_IMAGE "$(push "$prefix/vault:$VAULT_VERSION" node/vault)"
    record EXTERNAL_SECRETS_IMAGE "$(push "$prefix/external-secrets:$EXTERNAL_SECRETS_VERSION" node/external-secrets)"
}

tools_images() { # for tests on the node: Debian's static busybox (sh, nc, nslookup, httpd), nothing else
    if ! dpkg-query -W -f='${Status}' busybox-static 2>/dev/null | grep -q "install ok installed"; then
        echo "images.sh: installing busybox-static from Debian" >&2
        apt-get -o DPkg::Lock::Timeout=600 update -qq
        DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends busybox-static >/dev/null
    fi
    local version
    version=$(dpkg-query -W -f='${Version}' busybox-static | tr ':+~' '---')
    from_scratch "$prefix/busybox:$version" /bin/busybox /bin/busybox 65534:65534
    record BUSYBOX_IMAGE "$(push "$prefix/busybox:$version" node/busybox)"
}

case "$action" in
    push) push "${3:?local image}" "${4:?repository}" ;;
    node) node_images ;;
    secrets) secrets_images ;;
    tools) tools_images ;;
    *) echo "usage: images.sh push|node|secrets|tools <cluster folder> ..." >&2; exit 2 ;;
esac
