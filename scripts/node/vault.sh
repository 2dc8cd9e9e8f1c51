#!/usr/bin/env bash
# The local node's Vault, as the README's prerequisites want it (scripts/node/addons.sh runs this after
# deploying it):
#   scripts/node/vault.sh setup <cluster folder>
#       initialises Vault the first time (one unseal key; the key and the root token go to files of the
#       cluster's folder, <cluster>/vault/, readable by root only, never printed), unseals it after every
#       start, and enables KV v2 at secret/ and the Kubernetes auth method at kubernetes/ (idempotent).
#   scripts/node/vault.sh run <cluster folder> <vault arguments...>
#       runs the vault CLI against it as root (e.g. `... run <dir> kv get secret/agents/devbot/generated`);
#       secret values read from files (`field=@file`) or stdin (`field=-`) stay off command lines.
# The CLI runs on the host inside the node's network namespace, talking to the Vault pod directly (a
# sealed Vault is not Ready, so its Service has no endpoint yet).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
action=${1:?usage: vault.sh setup|run <cluster folder> ...}
dir=${2:?usage: vault.sh setup|run <cluster folder> ...}
shift 2
# shellcheck source=scripts/node/lib.sh
. "$here/lib.sh"
# shellcheck source=scripts/toolchain/versions.sh
. "$repo/scripts/toolchain/versions.sh"
# shellcheck source=scripts/toolchain/layout.sh
. "$repo/scripts/toolchain/layout.sh"
secrets=$dir/vault
kubectl() { "$(component_folder kube)/bin/kubectl" --kubeconfig "$dir/kubeconfig" "$@"; }
say() { echo "local-node: vault: $*"; }
fail() { echo "local-node: vault: $*" >&2; exit 1; }

pod_ip() {
    kubectl -n vault get pods -l app.kubernetes.io/name=vault \
        -o jsonpath='{range .items[?(@.status.containerStatuses[0].started==true)]}{.status.podIP}{"\n"}{end}' | head -n1
}

vault_cli() { # the CLI against the pod, with the root token once there is one
    local token=
    [ ! -f "$secrets/root-token" ] || token=$(cat "$secrets/root-token")
    VAULT_ADDR="http://$address:8200" VAULT_TOKEN=$token VAULT_FORMAT=${VAULT_FORMAT:-table} \
        nsenter --net="$node_netns_file" "$(component_folder vault)/bin/vault" "$@"
}

field() { # field <json> <name>: a string field of the CLI's JSON output
    sed -n "s/.*\"$2\": *\"\{0,1\}\([^\",]*\)\"\{0,1\}.*/\1/p" <<<"$1" | head -n1
}

setup() {
    local deadline=$((SECONDS + 180)) status
    until address=$(pod_ip) && [ -n "$address" ] && status=$(VAULT_FORMAT=json vault_cli status 2>/dev/null; true) &&
        [ -n "$status" ]; do
        [ $SECONDS -lt $deadline ] || fail "the Vault pod did not start in 180 s (kubectl -n vault describe pods)"
        sleep 1
    done
    if [ "$(field "$status" initialized)" != true ]; then
        install -d -m 0700 "$secrets"
        local init
        init=$(VAULT_FORMAT=json vault_cli operator init -key-shares=1 -key-threshold=1)
        (umask 077
            sed -n '/"unseal_keys_b64"/,/]/p' <<<"$init" | sed -n 's/^ *"\([^"]*\)",\{0,1\}$/\1/p' | head -n1 >"$secrets/unseal-key"
            field "$init" root_token >"$secrets/root-token")
        if [ ! -s "$secrets/unseal-key" ] || [ ! -s "$secrets/root-token" ]; then fail "vault operator init gave no key or token"; fi
        say "initialised (unseal key and root token in $secrets/, root only)"
        status=$(VAULT_FORMAT=json vault_cli status 2>/dev/null || true)
    fi
    if [ "$(field "$status" sealed)" = true ]; then
        [ -s "$secrets/unseal-key" ] || fail "Vault is sealed and $secrets/unseal-key is missing (scripts/local-cluster.sh reset starts over)"
        vault_cli write -format=json sys/unseal "key=@$secrets/unseal-key" >/dev/null
    fi
    kubectl -n vault rollout status deployment/vault --timeout=120s >/dev/null
    if ! vault_cli secrets list | grep -q '^secret/ *kv'; then
        vault_cli secrets enable -path=secret -version=2 kv >/dev/null
    fi
    if ! vault_cli auth list | grep -q '^kubernetes/'; then
        vault_cli auth enable kubernetes >/dev/null
    fi
    # Vault reviews tokens with its own service account (system:auth-delegator) and the API server's CA
    # from its pod; the API server through the kubernetes Service.
    vault_cli write auth/kubernetes/config kubernetes_host=https://kubernetes.default.svc >/dev/null
    say "ready: KV v2 at secret/, Kubernetes auth at kubernetes/ (http://vault.vault.svc.cluster.local:8200)"
}

case "$action" in
    setup) setup ;;
    run)
        address=$(pod_ip)
        [ -n "$address" ] || fail "no Vault pod runs (scripts/local-cluster.sh up with a node starts it)"
        vault_cli "$@"
        ;;
    *) echo "usage: vault.sh setup|run <cluster folder> ..." >&2; exit 2 ;;
esac
