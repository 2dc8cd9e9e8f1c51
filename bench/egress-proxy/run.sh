#!/usr/bin/env bash
# Egress proxy benchmark (docs/benchmarks.md, "Egress proxy"): an allowed HTTPS request and download through
# the proxy against direct, interleaved, and the proxy's memory. squid and mtail as the tests run them
# (tests/egress-proxy/run.sh installs them). Runs under nice; leaves nothing behind.
#   bench/egress-proxy/run.sh      BENCH_ROUNDS=5 BENCH_MB=16 for a quick look
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
# renice sets the niceness (it does not add to it): a run started under `nice -n 19` stays at 19.
[ "$(nice)" -ge 10 ] || renice -n 10 -p $$ >/dev/null
if ! command -v squid >/dev/null 2>&1 || ! command -v mtail >/dev/null 2>&1; then
    echo "egress bench: squid and mtail are missing: run tests/egress-proxy/run.sh once (it installs them)" >&2
    exit 2
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/egress-bench.XXXXXX")
chmod 755 "$work"
trap 'rm -rf "$work"' EXIT
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo), $(sed -n 's/^PRETTY_NAME="\(.*\)"$/\1/p' /etc/os-release), $(squid -v | head -1), curl $(curl --version | head -1 | cut -d' ' -f2), load $(cut -d' ' -f1-3 /proc/loadavg); $(date -u +%F)"
cd "$repo"
EGRESS_TEST_TMPDIR=$work node --import tsx "$here/measure.mts"
