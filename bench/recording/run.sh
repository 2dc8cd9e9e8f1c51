#!/usr/bin/env bash
# Desktop recording benchmark (bench_recording.py): RFB recording vs video segments vs unrecorded, on the
# desktop e2e's packages and pins, interleaved. Installs Debian's ffmpeg (the video design's encoder) when
# missing. Writes bench/results/recording-<time>.json. BENCH_ROUNDS, BENCH_SECONDS tune it. Hold the
# desktop lock: flock /work/.desktop.lock bash bench/recording/run.sh
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
export PATH="$repo/node_modules/.bin:$PATH"
if ! command -v ffmpeg >/dev/null; then
  [[ $EUID -eq 0 ]] || { echo "bench/recording: install Debian's ffmpeg (as root)" >&2; exit 1; }
  apt-get -o DPkg::Lock::Timeout=600 update -qq
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends ffmpeg >/dev/null
fi
[[ -d "$repo/node_modules/@novnc/novnc" ]] || { echo "bench/recording: run npm ci at the repository root first" >&2; exit 1; }
npm --prefix "$repo/images/browser-view" run --silent build
venv="$("$repo/tests/desktop-e2e/run.sh" --print-venv)"
results_dir="$repo/bench/results"
mkdir -p "$results_dir"
output="$results_dir/recording-$(date -u +%Y%m%dT%H%M%SZ).json"
# With a /tmp and network of its own, like the e2e test: its desktop is :0 and meets no other run.
DESKTOP_E2E_VENV="$venv" PYTHONDONTWRITEBYTECODE=1 nice -n 10 \
  bash "$repo/tests/desktop-e2e/private-host.sh" "$venv/bin/python" "$here/bench_recording.py" >"$output"
echo "bench/recording: results written to $output" >&2
