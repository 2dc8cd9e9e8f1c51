#!/usr/bin/env bash
# Runs every test of persistent-agents on a fresh Debian/Ubuntu machine, installing what they need:
#   1. the stack's unit, secrecy, isolation and policy tests (mocha, Pulumi mocks)
#   2. the shell MCP server against real processes over HTTP (node:test, official MCP client), and the
#      waker (images/waker: sleep on idle) against a fake API server and a real HTTP upstream
#   3. static checks: shellcheck, hadolint, actionlint (after ensuring a Go, which a fresh Debian lacks)
#   4. the desktop end to end: TigerVNC + Xfce + computer-control-mcp as real processes (pytest)
#   4b. the agent loop: Kagent's own runtime (kagent-adk 0.10.4) on the config the plan gives it, a scripted
#      model, and the computer's servers as processes (tests/agent-loop, pytest)
#   5. the real toolchain (scripts/toolchain/ensure.sh): built from the Go module proxy once, then cached
#   6. the real tier (tests/real/run.sh): server-side dry-run of every object and pulumi up/preview/destroy
#      of the local stack, with the real engine against a kube-apiserver of its own
#   7. monitoring and backups: promtool check/test of the alert rules, the metric names against the servers,
#      the backup program and the operations objects on a real kube-apiserver (tests/monitoring, tests/backup)
#   8. the egress proxy as processes (tests/egress-proxy/run.sh): squid and mtail from Debian with the image's
#      configuration, curl, git and pip through it, the git credential broker
#   8b. build isolation (tests/build-isolation/run.sh): two agents' BuildKit daemons (from the Go module
#      proxy) with the stack's arguments and per-agent mutual TLS, each in a user namespace of its own
#   9. the images (tests/images/run.sh): built with buildah from images/builds.json (cached layers and base
#      stand-ins), then run as the pods the stack renders for test-cluster's agents
#  10. the node tier (tests/node/run.sh): a cluster of its own with a real node (containerd, kubelet,
#      kube-proxy, kube-router, CoreDNS, a registry, Vault, ESO), the local stack deployed onto it, the
#      running agents tested; everything torn down and checked gone
# Run as root (or with passwordless sudo) the first time: it installs Debian packages.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

step() { printf '\n==== %s\n' "$*"; }

# What the tests and their tools write to the temporary folder without asking (tsx's cache /tmp/tsx-<uid>,
# Node's compile cache, a tool's scratch files) goes into this run's own, removed when the run ends: no file
# of a run outlives it in /tmp, and two runs never share one. 0711: the desktop's user (UID 1000) passes
# through it to the folders the tests make for it.
run_tmp=$(mktemp -d "${TMPDIR:-/tmp}/test-all.XXXXXX")
chmod 0711 "$run_tmp"
export TMPDIR=$run_tmp
# The images tier's images stay until the run ends: the node tier's deploy builds the same images, and on a
# fresh machine their layers are its only build cache (removed with the images tier's tags, the node tier
# built every image a second time from nothing: a cold desktop alone is minutes).
IMAGES_TEST_TAG="test-all-$(date +%s)-$$"
export IMAGES_TEST_TAG
remove_test_images() {
    command -v podman >/dev/null 2>&1 || return 0
    podman images --format '{{.Repository}}:{{.Tag}}' 2>/dev/null | grep -F ":$IMAGES_TEST_TAG" |
        xargs -r podman rmi >/dev/null 2>&1 || true
}
trap 'remove_test_images; rm -rf "$run_tmp"' EXIT

sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
if ! command -v npm >/dev/null 2>&1 || ! command -v git >/dev/null 2>&1; then
    step "installing Node.js, npm and git from Debian"
    "${sudo_cmd[@]}" apt-get -o DPkg::Lock::Timeout=600 update -qq
    "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq nodejs npm git >/dev/null
fi

step "installing npm dependencies (Node 22 comes from the node package; the workspaces: images/shell, images/browser-view, images/waker, policies, bench/shell)"
npm ci --no-audit --no-fund

step "type-checking the stack and the policy pack"
npm run --silent build

# Go first: actionlint (static checks), the shell tests' ESO template renderer and every build below need a
# Go >= 1.21; a fresh Debian has none (or bookworm's 1.19), and ensure.sh provides one. env.sh puts it, and
# Node 22 from node_modules, on PATH for every step.
step "Go (for the tools and builds of the tests)"
scripts/toolchain/ensure.sh go
# shellcheck source=scripts/toolchain/env.sh
. scripts/toolchain/env.sh

# Before the mocha suite: this installs the static checks' tools (npm test installs nothing; its static
# tests skip when a tool is missing).
step "static checks"
bash scripts/static-checks.sh

step "stack tests under Pulumi mocks"
npm test

step "shell MCP server"
npm run --silent test:shell

step "waker: sleep and wake held calls, discovery from memory, tokens, idle rules (node:test)"
npm --workspace images/waker test

step "desktop end to end"
bash tests/desktop-e2e/run.sh

# After the desktop end to end (whose packages and venv it reuses for the desktop agent).
step "agent loop: Kagent's runtime drives the computer (kagent-adk 0.10.4, scripted model)"
bash tests/agent-loop/run.sh

step "browser view: noVNC in headless Chromium"
bash tests/browser-view/run.sh

# What the real tier and the backups use; not the docker-build provider (no test builds images through
# Pulumi: tests/images builds them with buildah from the same images/builds.json).
step "toolchain (Pulumi CLI, Kubernetes provider, kube-apiserver: built once, cached)"
scripts/toolchain/ensure.sh kube etcd pulumi language-nodejs kubernetes-provider

step "real tier: pulumi up against a local kube-apiserver"
bash tests/real/run.sh

# After the desktop end to end (whose venv it reuses) and the toolchain (Go, kube-apiserver, etcd).
step "monitoring rules (promtool) and backups"
bash tests/monitoring/run.sh
bash tests/backup/run.sh

# After the toolchain step (Go, for the ESO template renderer it builds once).
step "egress proxy: squid and mtail as processes, curl, git and pip through it"
bash tests/egress-proxy/run.sh

# After the toolchain step (Go, to build buildkitd and buildctl once).
step "build isolation: two agents' BuildKit daemons, mutual TLS, process sandbox"
bash tests/build-isolation/run.sh

# After the desktop end to end (whose venv it reuses) and the toolchain (Go, to build buildkitd).
step "images: build (cached) and run the rendered pods"
bash tests/images/run.sh

# After the images (their layers, kept until the run ends, make its builds seconds) and the toolchain.
step "node tier: the local stack on a real node"
bash tests/node/run.sh

step "all test suites passed"
