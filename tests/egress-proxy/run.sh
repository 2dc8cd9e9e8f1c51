#!/usr/bin/env bash
# The egress proxy as processes (tests/egress-proxy/proxy.test.mts): squid-openssl and mtail from Debian,
# run with images/egress-proxy's configuration, start script and mtail program and the rules the stack
# renders, against an HTTPS origin on loopback; curl, git and pip as the agent's clients. Installs what it
# needs (root on Debian/Ubuntu); the ESO template renderer is built from the Go module proxy (a Go >= 1.21:
# scripts/toolchain/ensure.sh go). Leaves nothing behind: its folder is removed, its processes stopped.
#   tests/egress-proxy/run.sh      (scripts/test-all.sh runs it in the step "egress proxy")
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)

sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
missing=()
command -v squid >/dev/null 2>&1 && squid -v | grep -q -- '--with-openssl' || missing+=(squid-openssl)
command -v mtail >/dev/null 2>&1 || missing+=(mtail)
for tool in openssl curl git setpriv; do
    command -v "$tool" >/dev/null 2>&1 || missing+=("$([ "$tool" = setpriv ] && echo util-linux || echo "$tool")")
done
if [ "${#missing[@]}" -gt 0 ]; then
    echo "== installing ${missing[*]} from Debian" >&2
    "${sudo_cmd[@]}" apt-get -o DPkg::Lock::Timeout=600 update -qq
    "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq \
        --no-install-recommends "${missing[@]}" >/dev/null
fi
# Debian's package enables squid as a service; the tests start their own squid and no other may run.
if command -v systemctl >/dev/null 2>&1 && systemctl is-enabled squid >/dev/null 2>&1; then
    "${sudo_cmd[@]}" systemctl disable --now squid >/dev/null 2>&1 || true
fi
python3 -m pip --version >/dev/null 2>&1 || { echo "egress-proxy tests: python3 -m pip is missing (apt-get install python3-pip)" >&2; exit 2; }

# A folder of its own, readable by the unprivileged UID squid runs as, removed afterwards.
work=$(mktemp -d "${TMPDIR:-/tmp}/egress-proxy-tests.XXXXXX")
chmod 755 "$work"
trap 'rm -rf "$work"' EXIT
cd "$repo"
EGRESS_TEST_TMPDIR=$work node --import tsx --test --test-concurrency=1 tests/egress-proxy/proxy.test.mts
