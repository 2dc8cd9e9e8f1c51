#!/usr/bin/env bash
# Checks of the alert rules and the dashboard with Prometheus's own tools:
#   1. promtool check rules monitoring/rules.yaml (syntax, PromQL, templates; --lint-fatal);
#   2. promtool test rules tests/monitoring/rules.test.yaml (every alert fires on its synthetic series and
#      stays silent on the look-alikes);
#   3. go test ./tests/monitoring/metricnames: every series the rules and the dashboard use is exported by
#      someone in monitoring/metric-names.json (Prometheus's rule loader and PromQL parser);
#   4. the shell server's and the sidecar's real /metrics have every family monitoring/metric-names.json
#      lists for them (the sidecar's own metrics listener and registry, in the desktop end-to-end venv).
# promtool is built once from the Go module proxy and cached (tests/monitoring/ensure-promtool.sh).
#   tests/monitoring/run.sh      (scripts/test-all.sh runs it in the step "monitoring rules (promtool) and backups")
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)

# Go comes from the toolchain (a recent enough local go, or the one ensure.sh fetched).
"$repo/scripts/toolchain/ensure.sh" go >&2
# shellcheck source=scripts/toolchain/env.sh
. "$repo/scripts/toolchain/env.sh"
promtool=$("$here/ensure-promtool.sh")

cd "$repo"
echo "== promtool check rules"
"$promtool" check rules --lint=all --lint-fatal monitoring/rules.yaml
echo "== promtool test rules"
"$promtool" test rules tests/monitoring/rules.test.yaml
echo "== rules and dashboard use only exported metric names"
(cd tests/monitoring/metricnames && CGO_ENABLED=0 GOFLAGS=-mod=readonly nice -n 10 go test -count=1 ./...)
echo "== the shell server exports the families the rules rely on"
npm --prefix images/shell run --silent build
# The shell tests' harness makes a workspace, home and token folder per server: in a TMPDIR removed after.
shell_tmp=$(mktemp -d "${TMPDIR:-/tmp}/shell-metrics.XXXXXX")
trap 'rm -rf "$shell_tmp"' EXIT
TMPDIR=$shell_tmp node --import tsx --test tests/monitoring/shell-metrics.test.mts
echo "== the computer-control sidecar exports the families the rules rely on"
# The desktop end-to-end venv (the image's exact pins; cached, so warm after that step).
venv=$(bash tests/desktop-e2e/run.sh --print-venv)
PYTHONPATH=images/computer-control-mcp PYTHONDONTWRITEBYTECODE=1 "$venv/bin/python" tests/monitoring/sidecar_metrics.py
