#!/usr/bin/env bash
# Desktop pod benchmarks on this machine, with the packages and pins of the e2e
# test (prepared by tests/desktop-e2e/run.sh). Writes bench/results/desktop-<time>.json.
#   run.sh            cold start, screenshot/OCR latency (interleaved), memory and CPU
#   run.sh encoders   screenshot encoders on one grab of the Xfce desktop
# BENCH_* variables (see bench_desktop.py) pick parts and round counts.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
venv="$("$repo/tests/desktop-e2e/run.sh" --print-venv)"
results_dir="$repo/bench/results"
mkdir -p "$results_dir"

script="$here/bench_desktop.py"
name=desktop
if [[ "${1:-}" == "encoders" ]]; then
  script="$here/encoders.py"
  name=desktop-encoders
fi
output="$results_dir/$name-$(date -u +%Y%m%dT%H%M%SZ).json"

# With a /tmp and network of its own, like the e2e test: its desktop is :0 and meets no other run.
DESKTOP_E2E_VENV="$venv" PYTHONDONTWRITEBYTECODE=1 nice -n 10 \
  bash "$repo/tests/desktop-e2e/private-host.sh" "$venv/bin/python" "$script" >"$output"
cat "$output"
echo "bench/desktop: results written to $output" >&2
