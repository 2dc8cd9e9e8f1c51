#!/usr/bin/env bash
# The real tier: the real Pulumi engine and a real kube-apiserver, no mocks (issue 9).
#   tests/real/run.sh            (scripts/test-all.sh runs it; npm run test:real)
# It ensures the toolchain (scripts/toolchain/ensure.sh, cached), then starts a control plane of its OWN in a
# temporary LOCAL_CLUSTER_DIR and a file backend of its own in the same temporary folder (never the user's
# cluster, login or stacks), runs the node:test files below in order, and always tears both down: on the way
# out it checks that no process it started (etcd, kube-apiserver, kube-controller-manager, pulumi and its
# plugins, dbus-daemon) is still running, and fails if one is.
#   1. serverValidation.test.ts: every object of every committed stack passes server-side dry-run; wrong
#      objects are rejected, naming the field;
#   2. lifecycle.test.ts: pulumi up / preview / add and remove an agent / import / destroy of the local stack.
# Ends with one summary line: "real tier: N passed, M failed, K skipped in S s".
# REAL_TIER_KEEP=1 keeps the temporary folder (logs, state, kubeconfig) for a look after a failure.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
started=$SECONDS

"$repo/scripts/toolchain/ensure.sh" kube etcd pulumi language-nodejs kubernetes-provider
# shellcheck source=scripts/toolchain/env.sh
. "$repo/scripts/toolchain/env.sh"

work=$(mktemp -d "${TMPDIR:-/tmp}/real-tier.XXXXXX")
# Every process this run starts inherits this marker, so the leak check below finds exactly ours.
export REAL_TIER_RUN_ID=$work
# shellcheck source=tests/real/sandbox-env.sh
. "$here/sandbox-env.sh"

# Processes other than this script and its ancestors that carry this run's marker.
# shellcheck disable=SC2317  # called from the EXIT trap
our_processes() {
    local environ pid ancestors=" " p=$$
    while [ "$p" -gt 1 ] 2>/dev/null; do
        ancestors+="$p "
        p=$(awk '{print $4}' "/proc/$p/stat" 2>/dev/null || echo 1)
    done
    for environ in /proc/[0-9]*/environ; do
        pid=${environ#/proc/}
        pid=${pid%/environ}
        case "$ancestors" in *" $pid "*) continue ;; esac
        [ "$pid" != "$BASHPID" ] || continue
        # The redirection itself fails for a process that ended meanwhile: silence it, not just tr.
        if { tr '\0' '\n' <"$environ"; } 2>/dev/null | grep -qxF "REAL_TIER_RUN_ID=$work"; then
            echo "$pid $(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | cut -c1-120)"
        fi
    done
}

summary_status=0
# shellcheck disable=SC2317  # the EXIT trap
teardown() {
    local exit_code=$? leftovers down_started=$SECONDS
    LOCAL_CLUSTER_DIR=$LOCAL_CLUSTER_DIR "$repo/scripts/local-cluster.sh" down || true
    echo "real tier: control plane down in $((SECONDS - down_started)) s"
    sleep 0.5
    leftovers=$(our_processes)
    if [ -n "$leftovers" ]; then
        echo "real tier: FAILED: processes outlived the run (now stopped):" >&2
        echo "$leftovers" >&2
        # shellcheck disable=SC2046  # pids, one word each
        kill -KILL $(echo "$leftovers" | awk '{print $1}') 2>/dev/null || true
        exit_code=1
    fi
    if [ "${REAL_TIER_KEEP:-0}" = 1 ]; then
        echo "real tier: kept $work"
    else
        rm -rf "$work"
    fi
    echo "${summary_line:-real tier: did not finish} (exit $exit_code)"
    exit "$exit_code"
}
trap teardown EXIT
trap 'exit 130' INT TERM

cluster_started=$SECONDS
# 40 volumes: the claims the lifecycle tests make, with room to spare (they must bind: see local-cluster.sh).
LOCAL_CLUSTER_VOLUMES=40 "$repo/scripts/local-cluster.sh" up
echo "real tier: control plane up in $((SECONDS - cluster_started)) s"

# node:test from the repository's Node 22 (env.sh put it first on PATH), one file after the other: the
# lifecycle tests need the agent namespaces the dry-run tests create and delete to be gone.
cd "$repo"
passed=0 failed=0 skipped=0 todo=0
count() { # count <tap file> <pass|fail|skipped>: the figure of node:test's TAP summary, 0 if absent
    local figure
    figure=$(sed -n "s/^# $2 //p" "$1" 2>/dev/null | tail -n1)
    echo "${figure:-0}"
}
# REAL_TIER_FILES picks files (e.g. serverValidation.test.ts alone while working on it).
for file in ${REAL_TIER_FILES:-serverValidation.test.ts lifecycle.test.ts}; do
    tap=$work/$file.tap
    file_started=$SECONDS
    if ! node --require tsx/cjs --test --test-concurrency=1 \
        --test-reporter=spec --test-reporter-destination=stdout \
        --test-reporter=tap --test-reporter-destination="$tap" \
        "$here/$file"; then
        summary_status=1
        # A file that crashed before reporting counts as one failure.
        [ "$(count "$tap" fail)" -gt 0 ] || [ "$(count "$tap" cancelled)" -gt 0 ] || failed=$((failed + 1))
    fi
    passed=$((passed + $(count "$tap" pass)))
    # A test cancelled because its suite's hook failed did not pass either.
    failed=$((failed + $(count "$tap" fail) + $(count "$tap" cancelled)))
    skipped=$((skipped + $(count "$tap" skipped)))
    todo=$((todo + $(count "$tap" todo)))
    echo "real tier: $file took $((SECONDS - file_started)) s"
done
summary_line="real tier: $passed passed, $failed failed, $skipped skipped, $todo todo (known defects) in $((SECONDS - started)) s"
[ "$failed" -eq 0 ] || summary_status=1
exit "$summary_status"
