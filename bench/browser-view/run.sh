#!/usr/bin/env bash
# Browser view benchmark on this machine (see bench_browser_view.py): the desktop e2e's packages and
# pins, websockify from Debian as the peer, images/browser-view built. Writes
# bench/results/browser-view-<time>.json. BENCH_ROUNDS, BENCH_FPS_SECONDS, BENCH_LATENCY_SAMPLES tune it.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
export PATH="$repo/node_modules/.bin:$PATH"
if ! command -v websockify >/dev/null; then
  [[ $EUID -eq 0 ]] || { echo "bench/browser-view: install Debian's websockify (as root)" >&2; exit 1; }
  apt-get -o DPkg::Lock::Timeout=600 update -qq
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends websockify >/dev/null
fi
# The browser view's packages come with the root's npm ci (an npm workspace).
[[ -d "$repo/node_modules/@novnc/novnc" ]] || { echo "bench/browser-view: run npm ci at the repository root first" >&2; exit 1; }
npm --prefix "$repo/images/browser-view" run --silent build
venv="$("$repo/tests/desktop-e2e/run.sh" --print-venv)"
results_dir="$repo/bench/results"
mkdir -p "$results_dir"
output="$results_dir/browser-view-$(date -u +%Y%m%dT%H%M%SZ).json"
DESKTOP_E2E_VENV="$venv" PYTHONDONTWRITEBYTECODE=1 nice -n 10 "$venv/bin/python" "$here/bench_browser_view.py" >"$output"
echo "bench/browser-view: results written to $output" >&2
