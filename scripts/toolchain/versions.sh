# shellcheck shell=bash
# shellcheck disable=SC2034  # read by the scripts that source this file
# Pinned versions of everything scripts/toolchain/ensure.sh builds or installs (sourced, not run).
# Each is what the Go module proxy serves and was found to work (issue 9); bumping one changes the cache
# folder name, so the next ensure.sh builds it afresh beside the old one.

# Go: every toolchain build and every Go build of the images uses this one Go (issue 26: the standard
# library's fixes reach every program). A machine's go >= 1.21 fetches it from the Go module proxy (module
# golang.org/toolchain) when GOTOOLCHAIN names it; an older one downloads the same module.
# renovate: datasource=golang-version depName=go
GO_TOOLCHAIN=go1.27.3

# kube-apiserver, kube-controller-manager, kubectl (component kube) and kubelet, kube-proxy, kube-scheduler
# (component kube-node, and the pause program from the same module): k8s.io/kubernetes with its staging
# modules at the matching published v0.34.x.
# renovate: datasource=go depName=k8s.io/kubernetes
KUBERNETES_VERSION=v1.34.4

# Pulumi CLI: the pkg/v3 and sdk/v3 modules of one release, laid side by side.
# Follows the SDK on npm (package.json), so that the CLI is always the SDK's release:
# renovate: datasource=npm depName=@pulumi/pulumi
PULUMI_VERSION=v3.276.0

# Node.js language host: sdk/v3@v3.68.0 is the newest module that still holds it as a package (its own
# module is not served). It runs preview/up/destroy, not --policy-pack.
LANGUAGE_NODEJS_VERSION=v3.68.0

# Kubernetes provider: provider/v4 is only served at the v4.25.0 release commit.
KUBERNETES_PROVIDER_VERSION=4.25.0
KUBERNETES_PROVIDER_MODULE_VERSION=v4.0.0-20260115033456-f47bc2d6f199

# docker-build provider (the module is github.com/pulumi/pulumi-docker-build/provider).
# renovate: datasource=go depName=github.com/pulumi/pulumi-docker-build/provider
DOCKER_BUILD_PROVIDER_VERSION=v0.0.22

# What runs on the local node (issue 19; docs/local-stack.md, "The node"), each from the Go module proxy.
# renovate: datasource=go depName=github.com/coredns/coredns
COREDNS_VERSION=v1.12.1          # the CoreDNS that Kubernetes 1.34's kubeadm installs
# renovate: datasource=go depName=github.com/cloudnativelabs/kube-router/v2
KUBE_ROUTER_VERSION=v2.1.0       # the only github.com/cloudnativelabs/kube-router/v2 the proxy serves
# renovate: datasource=go depName=github.com/distribution/distribution/v3
DISTRIBUTION_VERSION=v3.0.0      # the registry (github.com/distribution/distribution/v3)
# renovate: datasource=go depName=github.com/hashicorp/vault
VAULT_VERSION=v1.21.0            # v1.21.4 does not build from the published api/sdk modules
# renovate: datasource=go depName=github.com/external-secrets/external-secrets
EXTERNAL_SECRETS_VERSION=v0.16.2 # serves external-secrets.io/v1, builds as is from the module root
