#!/usr/bin/env bash
# Deploys the local stack onto a running local cluster with a node (scripts/local-cluster.sh up with
# LOCAL_CLUSTER_NODE=1): the images, what Vault needs, then `pulumi up`.
#   scripts/local-stack/deploy.sh <cluster folder> [<project folder>]
# The project folder (default: the repository) holds Pulumi.yaml and Pulumi.local.yaml; a test passes a
# throw-away copy (tests/real/localStackProject.ts). PULUMI_BACKEND_URL and PULUMI_CONFIG_PASSPHRASE come
# from the caller, and the stack `local` must exist. Steps:
#   1. the images the stack's agents run, built with buildah and pushed to the node's registry; their
#      references by digest set as platform.images.<key> with `pulumi config set` when they differ;
#   2. in Vault, what the stack leaves to its operator with writeSecrets off (vault-secrets.ts);
#   3. pulumi up --stack local (it waits for the computers' Deployments to be available).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
cluster=${1:?usage: deploy.sh <cluster folder> [<project folder>]}
project=${2:-$repo}
cluster=$(cd "$cluster" && pwd)
cd "$project"
step() { printf '\n==== %s\n' "$*"; }
# Temporary files go into the cluster's folder, not the machine's /tmp: Pulumi's Kubernetes provider leaves
# a kubeconfig<digits> file there on every run, and tsx its cache. Emptied on each deploy; `reset` removes it.
export TMPDIR=$cluster/tmp
rm -rf "$TMPDIR"
mkdir -p "$TMPDIR"

step "images: built with buildah (cached layers), pushed to the node's registry"
# Each step's output is taken in a variable, not read from a process substitution, whose exit status bash
# drops: a failed build (buildah's "layer not known" when another run removed layers meanwhile) then went on
# to `pulumi up` with the placeholder digests, which waited minutes for pods that could never pull.
needed=$("$repo/node_modules/.bin/tsx" "$here/stackPlans.ts" images "$project/Pulumi.local.yaml")
# shellcheck disable=SC2086  # image names, one per word
references=$(bash "$here/images.sh" "$cluster" $needed)
while read -r key reference; do
    [ -n "$key" ] || continue
    current=$(pulumi config get --stack local --path "platform.images.$key" 2>/dev/null || true)
    if [ "$current" != "$reference" ]; then
        pulumi config set --stack local --path "platform.images.$key" "$reference"
    fi
    echo "$key: $reference"
done <<<"$references"

step "Vault: the agents' policies, roles and secrets (what the stack writes when writeSecrets is on)"
"$repo/node_modules/.bin/tsx" "$here/vault-secrets.ts" "$cluster" "$project/Pulumi.local.yaml"

step "pulumi up --stack local"
pulumi up --stack local --yes --skip-preview
