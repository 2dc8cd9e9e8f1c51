#!/usr/bin/env bash
# The first command of the README: the whole stack, for real, on this machine, with no cluster, no Pulumi
# account and no cloud. On a fresh Debian/Ubuntu machine (root or passwordless sudo the first time):
#   1. Node.js 22 and the npm packages (`npm ci`: the program, the shell server, the policy pack);
#   2. the toolchain (scripts/toolchain/ensure.sh): the Pulumi CLI, its Node.js language host, the Kubernetes
#      provider, kube-apiserver, kube-controller-manager, kubectl, etcd; built once from the Go module proxy
#      and cached (a cold build takes about an hour on 2 busy cores; later runs take a second);
#   3. a local control plane on loopback (scripts/local-cluster.sh up) with the Kagent and ESO CRDs;
#   4. `pulumi up --stack local` into it, with a file backend inside the repository (.pulumi-state/) and the
#      local stack's published passphrase, creating the stack the first time.
# Then it prints how to look. Run it again at any time: every step is idempotent.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
# The local stack's kubeconfig path is fixed in Pulumi.local.yaml: always the default cluster folder.
unset LOCAL_CLUSTER_DIR

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

step "local control plane"
scripts/local-cluster.sh up
kubeconfig=$repo/.cache/local-cluster/kubeconfig

step "pulumi up --stack local"
export PULUMI_BACKEND_URL="file://$repo/.pulumi-state"
# Not a secret: the local stack holds none (Pulumi.local.yaml's encryptionsalt was made with it).
export PULUMI_CONFIG_PASSPHRASE=${PULUMI_CONFIG_PASSPHRASE:-local-stack-holds-no-secrets}
mkdir -p .pulumi-state
if ! pulumi stack select local >/dev/null 2>&1; then
    # The committed encryptionsalt is reused, so creating the stack does not rewrite Pulumi.local.yaml.
    pulumi stack init local --secrets-provider passphrase
fi
pulumi up --stack local --yes --skip-preview

step "done in $((SECONDS - started)) s"
cat <<EOF
The agents' objects are in the local API server (no node runs them: see docs/local-stack.md). Look:

    $(command -v kubectl) --kubeconfig $kubeconfig get agents,remotemcpservers,externalsecrets -A
    $(command -v kubectl) --kubeconfig $kubeconfig get all,pvc,networkpolicies -n agent-devbot

Pulumi, in this shell:

    source scripts/toolchain/env.sh
    export PULUMI_BACKEND_URL=file://$repo/.pulumi-state PULUMI_CONFIG_PASSPHRASE=$PULUMI_CONFIG_PASSPHRASE
    pulumi stack --stack local          # the resources
    pulumi preview --stack local        # after editing Pulumi.local.yaml

Stop the control plane: scripts/local-cluster.sh down (the objects stay for the next up).
EOF
