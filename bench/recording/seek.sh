#!/usr/bin/env bash
# Replay seek latency (seek.py): records one segment of the active workload with the browser view, then
# times seeks of the replay page in Debian's chromium against drawing the same frames in a fresh player.
# Writes bench/results/replay-seek-<time>.json. BENCH_SEGMENT_SECONDS, BENCH_SEEK_REPEATS tune it. Hold
# the desktop lock: flock /work/.desktop.lock bash bench/recording/seek.sh
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
export PATH="$repo/node_modules/.bin:$PATH"
[[ -d "$repo/node_modules/@novnc/novnc" && -d "$repo/node_modules/playwright-core" ]] \
  || { echo "bench/recording: run npm ci at the repository root first" >&2; exit 1; }
command -v chromium >/dev/null || { echo "bench/recording: needs Debian's chromium (tests/browser-view/run.sh installs it)" >&2; exit 1; }
npm --prefix "$repo/images/browser-view" run --silent build
venv="$("$repo/tests/desktop-e2e/run.sh" --print-venv)"
results_dir="$repo/bench/results"
mkdir -p "$results_dir"
output="$results_dir/replay-seek-$(date -u +%Y%m%dT%H%M%SZ).json"
# With a /tmp and network of its own, like the e2e test: its desktop is :0 and meets no other run.
DESKTOP_E2E_VENV="$venv" PYTHONDONTWRITEBYTECODE=1 nice -n 10 \
  bash "$repo/tests/desktop-e2e/private-host.sh" "$venv/bin/python" "$here/seek.py" >"$output"
echo "bench/recording: results written to $output" >&2
