#!/usr/bin/env bash
# Two agents' builds on the build service's setup, as processes (tests/build-isolation/isolation.test.mts):
# buildkitd and buildctl from the Go module proxy (built once, cached: tests/images/ensure-buildkitd.sh),
# each daemon as root of a user namespace of its own, certificates from the stack's specs with openssl,
# and busybox-static as the builds' root filesystem. Needs root (user namespaces with mapped ranges);
# leaves nothing behind: its folder is removed and every daemon it started is stopped.
#   tests/build-isolation/run.sh      (scripts/test-all.sh runs it in the step "build isolation")
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)

[ "$(id -u)" -eq 0 ] || { echo "build-isolation tests: run as root (user namespaces with mapped ID ranges)" >&2; exit 2; }
missing=()
dpkg-query -W -f='${Status}' busybox-static 2>/dev/null | grep -q "install ok installed" || missing+=(busybox-static)
for tool in openssl setpriv python3; do
    command -v "$tool" >/dev/null 2>&1 || missing+=("$([ "$tool" = setpriv ] && echo util-linux || echo "$tool")")
done
if [ "${#missing[@]}" -gt 0 ]; then
    echo "== installing ${missing[*]} from Debian" >&2
    apt-get -o DPkg::Lock::Timeout=600 update -qq
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

buildkitd=$(bash "$repo/tests/images/ensure-buildkitd.sh" buildkitd)
buildctl=$(bash "$repo/tests/images/ensure-buildkitd.sh" buildctl)
work=$(mktemp -d "${TMPDIR:-/tmp}/build-isolation.XXXXXX")
trap 'rm -rf "$work"' EXIT
chmod 755 "$work" # the daemons run as unprivileged host IDs and must reach their folders
cd "$repo"
BUILD_ISOLATION_TMPDIR=$work BUILD_ISOLATION_BUILDKITD=$buildkitd BUILD_ISOLATION_BUILDCTL=$buildctl \
    node --import tsx --test --test-concurrency=1 tests/build-isolation/isolation.test.mts
