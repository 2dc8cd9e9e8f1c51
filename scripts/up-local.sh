#!/usr/bin/env bash
# The first command of the README: the whole stack, for real, on this machine, with no cloud, no Pulumi
# account and no Docker. On a fresh Debian/Ubuntu machine (root the first time):
#   1. Node.js 22 and the npm packages (`npm ci`: the program, the shell server, the policy pack);
#   2. the toolchain (scripts/toolchain/ensure.sh): the Pulumi CLI, its Node.js language host, the Kubernetes
#      provider, the Kubernetes programs, etcd, and what the node runs (containerd from Debian; CoreDNS,
#      kube-router, the registry, Vault, ESO from the Go module proxy); built once and cached;
#   3. a local cluster with a node (LOCAL_CLUSTER_NODE=1 scripts/local-cluster.sh up): control plane, node,
#      cluster DNS, Vault (KV v2, Kubernetes auth) and the External Secrets Operator;
#   4. scripts/local-stack/deploy.sh: the agents' images built with buildah and pushed to the node's
#      registry (their digests go into Pulumi.local.yaml with `pulumi config set`, so the file then differs
#      from git's copy); in Vault, what the stack leaves to the operator with writeSecrets off; then
#      `pulumi up --stack local` (file backend in .pulumi-state/, the local stack's published passphrase):
#      both agents' computers run on the node.
# Then it prints how to reach each agent. Run it again at any time: every step is idempotent.
# On a machine that cannot run a node it says what is missing and stops; LOCAL_CLUSTER_NODE=0 then deploys
# the objects into the control plane alone, with every agent suspended (docs/local-stack.md).
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
# The local stack's kubeconfig path is fixed in Pulumi.local.yaml: always the default cluster folder.
unset LOCAL_CLUSTER_DIR
cluster=$repo/.cache/local-cluster
with_node=${LOCAL_CLUSTER_NODE:-1}

step() { printf '\n==== %s\n' "$*"; }
started=$SECONDS

sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
if ! command -v npm >/dev/null 2>&1; then
    step "installing Node.js and npm from Debian (npm ci then brings Node 22 for the program)"
    "${sudo_cmd[@]}" apt-get -o DPkg::Lock::Timeout=600 update -qq
    "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive \
        apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends nodejs npm ca-certificates >/dev/null
fi

# npm writes node_modules/.package-lock.json last: if it is newer than package-lock.json, the install is
# complete and current.
if [ node_modules/.package-lock.json -nt package-lock.json ] && [ -x node_modules/.bin/node ]; then
    step "npm packages: up to date (npm ci to reinstall)"
else
    step "npm ci (the program, Node 22, the shell server and the policy pack)"
    npm ci --no-audit --no-fund
fi

step "toolchain (built once from the Go module proxy, then cached)"
# What the local stack runs: it registers no docker-build image, so that provider is not needed here.
scripts/toolchain/ensure.sh kube etcd pulumi language-nodejs kubernetes-provider
# shellcheck source=scripts/toolchain/env.sh
. scripts/toolchain/env.sh
export PULUMI_BACKEND_URL="file://$repo/.pulumi-state"
# Not a secret: the local stack holds none (Pulumi.local.yaml's encryptionsalt was made with it).
export PULUMI_CONFIG_PASSPHRASE=${PULUMI_CONFIG_PASSPHRASE:-local-stack-holds-no-secrets}
mkdir -p .pulumi-state
if ! pulumi stack select local >/dev/null 2>&1; then
    # The committed encryptionsalt is reused, so creating the stack does not rewrite Pulumi.local.yaml.
    pulumi stack init local --secrets-provider passphrase
fi
kubectl=(kubectl --kubeconfig "$cluster/kubeconfig")

if [ "$with_node" = 0 ]; then
    step "control plane only (LOCAL_CLUSTER_NODE=0): every agent suspended"
    LOCAL_CLUSTER_NODE=0 scripts/local-cluster.sh up
    count=$(node_modules/.bin/tsx -e 'console.log(require("./scripts/local-stack/stackPlans").stackPlans("Pulumi.local.yaml").plans.length)')
    for index in $(seq 0 $((count - 1))); do
        pulumi config set --stack local --path "agents[$index].suspended" true
    done
    step "pulumi up --stack local"
    pulumi up --stack local --yes --skip-preview
    step "done in $((SECONDS - started)) s: objects stored, nothing runs (docs/local-stack.md)"
    exit 0
fi

step "local cluster with a node: control plane, node, DNS, Vault, External Secrets Operator"
if ! bash scripts/node/check.sh; then
    echo "up-local: this machine cannot run the local node (above). LOCAL_CLUSTER_NODE=0 $0 deploys the" >&2
    echo "objects into a control plane alone, every agent suspended." >&2
    exit 1
fi
LOCAL_CLUSTER_NODE=1 scripts/local-cluster.sh up

bash scripts/local-stack/deploy.sh "$cluster"

step "done in $((SECONDS - started)) s"
cat <<EOF
Both agents' computers run on the local node:

    ${kubectl[*]} get pods -A

Reach them (each port-forward in a shell of its own; the tokens come from the Secrets ESO synced from Vault):

$(node_modules/.bin/tsx scripts/local-stack/endpoints.ts Pulumi.local.yaml "${kubectl[*]}")

Pulumi, in this shell:

    source scripts/toolchain/env.sh
    export PULUMI_BACKEND_URL=file://$repo/.pulumi-state PULUMI_CONFIG_PASSPHRASE=$PULUMI_CONFIG_PASSPHRASE
    pulumi preview --stack local --expect-no-changes

Vault (root, on this machine): scripts/node/vault.sh run $cluster kv get secret/agents/devbot/provided
Stop everything and put the machine back as it was: scripts/local-cluster.sh down
(the data stays for the next ./scripts/up-local.sh; scripts/local-cluster.sh reset deletes it).
EOF
