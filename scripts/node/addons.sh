#!/usr/bin/env bash
# What runs on the local node as pods of the cluster: cluster DNS (CoreDNS), and with `vault` also Vault
# and the External Secrets Operator (scripts/node/vault.sh configures Vault).
#   scripts/node/addons.sh dns|vault <cluster folder>
# Images come from scripts/node/images.sh (node/images.env); the manifests are in scripts/node/manifests,
# with ${NAME} placeholders filled in here. Returns once the pods are Ready.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
action=${1:?usage: addons.sh dns|vault <cluster folder>}
dir=${2:?usage: addons.sh dns|vault <cluster folder>}
# shellcheck source=scripts/node/lib.sh
. "$here/lib.sh"
# shellcheck source=scripts/toolchain/versions.sh
. "$repo/scripts/toolchain/versions.sh"
# shellcheck source=scripts/toolchain/layout.sh
. "$repo/scripts/toolchain/layout.sh"
# shellcheck source=/dev/null  # written by images.sh
. "$node_dir/images.env"
kubectl() { "$(component_folder kube)/bin/kubectl" --kubeconfig "$dir/kubeconfig" "$@"; }

# render <manifest>: the file with each ${NAME} of the list below replaced by its value.
render() {
    local name script=()
    for name in CLUSTER_DNS CLUSTER_DOMAIN COREDNS_IMAGE VAULT_IMAGE EXTERNAL_SECRETS_IMAGE; do
        script+=(-e "s|\${$name}|${!name:-}|g")
    done
    sed "${script[@]}" "$here/manifests/$1"
}

# shellcheck disable=SC2034  # read by render, by name
CLUSTER_DNS=$cluster_dns CLUSTER_DOMAIN=$cluster_domain
case "$action" in
    dns)
        render coredns.yaml | kubectl apply --server-side --force-conflicts -f - >/dev/null
        kubectl -n kube-system rollout status deployment/coredns --timeout=180s >/dev/null
        echo "local-node: cluster DNS ready (CoreDNS at $cluster_dns)"
        ;;
    vault)
        # This ESO version's ExternalSecret controller also watches GeneratorState, a CRD the cluster's
        # upstream ESO CRDs do not include: the module's own, from the toolchain build.
        kubectl apply --server-side -f "$(component_folder external-secrets)/crds/" >/dev/null
        render vault.yaml | kubectl apply --server-side --force-conflicts -f - >/dev/null
        bash "$here/vault.sh" setup "$dir"
        render external-secrets.yaml | kubectl apply --server-side --force-conflicts -f - >/dev/null
        kubectl -n external-secrets rollout status deployment/external-secrets --timeout=180s >/dev/null
        echo "local-node: External Secrets Operator ready"
        ;;
    *) echo "usage: addons.sh dns|vault <cluster folder>" >&2; exit 2 ;;
esac
