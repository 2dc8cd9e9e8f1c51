# shellcheck shell=bash
# Sourced by tests/real/run.sh and bench/real-engine/run.sh with $work set: a control plane, file backend,
# PULUMI_HOME and TMPDIR of the run's own inside $work, so neither ever touches the user's cluster or login.
: "${work:?set work to the folder of this run before sourcing sandbox-env.sh}"
export REAL_TIER_WORK=$work
export LOCAL_CLUSTER_DIR=$work/cluster
export KUBECONFIG=$LOCAL_CLUSTER_DIR/kubeconfig
export PULUMI_BACKEND_URL=file://$work/state
export PULUMI_HOME=$work/pulumi-home
# Not a secret: the local stack holds none (the same passphrase the README's first command uses).
export PULUMI_CONFIG_PASSPHRASE=local-stack-holds-no-secrets
export PULUMI_SKIP_UPDATE_CHECK=true
# The Kubernetes provider writes a kubeconfig<N> temporary file per run: inside $work, removed with it.
export TMPDIR=$work/tmp
mkdir -p "$work/state" "$PULUMI_HOME" "$TMPDIR"
if [ "${PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION:-}" != true ] && [ -d "$HOME/.pulumi/plugins" ]; then
    # An installed official CLI keeps the plugins it fetched under the user's PULUMI_HOME.
    ln -s "$HOME/.pulumi/plugins" "$PULUMI_HOME/plugins"
fi
