#!/usr/bin/env bash
# Desktop pod benchmarks on this machine, with the packages and pins of the e2e
# test (prepared by tests/desktop-e2e/run.sh). Writes bench/results/desktop-<time>.json.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
venv="$("$repo/tests/desktop-e2e/run.sh" --print-venv)"
results_dir="$repo/bench/results"
mkdir -p "$results_dir"
output="$results_dir/desktop-$(date -u +%Y%m%dT%H%M%SZ).json"

DESKTOP_E2E_VENV="$venv" PYTHONDONTWRITEBYTECODE=1 "$venv/bin/python" "$here/bench_desktop.py" >"$output"
cat "$output"
echo "bench/desktop: results written to $output" >&2
