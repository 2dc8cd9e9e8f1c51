#!/usr/bin/env bash
# The node tier: the local stack on a real node, no mocks (issue 19).
#   tests/node/run.sh            (scripts/test-all.sh runs it)
# It starts a cluster of its OWN with a node in a temporary folder (scripts/local-cluster.sh with
# LOCAL_CLUSTER_DIR and LOCAL_CLUSTER_NODE=1: control plane, node, DNS, Vault, ESO), a file backend of its
# own beside it, deploys a throw-away copy of the local stack onto it (scripts/local-stack/deploy.sh), runs
# the node:test files below in order against the running pods, and always tears everything down: then it
# checks that nothing is left (scripts/node/leftovers.sh, the processes this run started, the machine-wide
# settings kubelet changes) and fails if something is.
#   1. node.test.ts: the node itself (DNS, Services, NetworkPolicies enforced on the wire, exec, logs,
#      port-forward);
#   2. buildDaemon.test.ts: the build service's fallback (processSandbox: false) as rendered, with
#      images/buildkitd built from the tree: the daemon starts and a build with RUN steps runs through it
#      from a pod with the agent's client certificate;
#   3. stack.test.ts: both computers Running and Ready from the stack's objects, the credentials from ESO,
#      a preview without changes;
#   4. agents/ (pytest): the running agents: MCP with the synced token (screenshots, input, run_command),
#      the reachability matrix on the wire against the policies' model, token and VNC password rotation,
#      the browser view in chromium; devbot's audit trails, desktop recording (the copy's devbot records:
#      stackProject.ts), replay in chromium and retention;
#   5. agent-loop/ (pytest, the agent runtime's venv): Kagent's runtime (kagent-adk 0.10.4) as each agent's
#      kagent pod, configured from the stack's objects, runs tests/agent-loop's scenarios against the computer
#      pods with the scripted model on the host;
#   6. persistence.test.ts: the workspace through pod deletion and the runbook's remove and re-add;
#   7. backup.test.ts: no CSI snapshot driver here (said plainly); a restore from a pre-made snapshot is
#      refused rather than bound to an empty volume.
#   8. egress.test.ts (it changes CoreDNS and databot's egress): databot with network.allowDomains,
#      deployed again as the README's first command does; curl, git and pip from its shell through its
#      egress proxy to an HTTPS origin on the host named in the cluster's DNS, a name not in the list refused
#      readably, a connection that skips the proxy refused by the policy.
#   9. sleep.test.ts (it leaves the agents asleep): platform.suspend and a 30 s idleAfter deployed the
#      same way; the computers sleep by themselves with no drift, and wake through the waker on a tool call,
#      a connected viewer keeps the desktop awake, a visit to its browser view through the waker wakes it;
#  10. wakerRestart.test.ts (after sleep.test.ts, from its state): the waker deleted while databot sleeps
#      (discovery answered without waking, one call wakes it once), restarted while it is awake (it still
#      sleeps after idleAfter), killed with SIGKILL mid-wake (the retried call answers, one pod, one scale);
#  11. agent-loop-after-sleep (pytest, agent-loop/test_after_sleep.py): Kagent's runtime, rendered from the
#      same stack (its MCP URLs are the waker's), wakes each sleeping computer with its first tool call, and
#      again through the same pooled session after the next sleep; a conversation without a tool call wakes
#      nothing.
# Ends with one summary line: "node tier: N passed, M failed, K skipped in S s".
# NODE_TIER_FILES picks steps ("agents", "agent-loop" and "agent-loop-after-sleep" are pytest); NODE_TIER_PYTEST_ARGS passes
# arguments to pytest (e.g. "-k mcp"); NODE_TIER_KEEP=1 keeps the temporary folder (logs, state) after a failure (the
# cluster is stopped all the same).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
started=$SECONDS

"$repo/scripts/toolchain/ensure.sh" kube etcd pulumi language-nodejs kubernetes-provider
# shellcheck source=scripts/toolchain/env.sh
. "$repo/scripts/toolchain/env.sh"
bash "$repo/scripts/node/check.sh"

work=$(mktemp -d "${TMPDIR:-/tmp}/node-tier.XXXXXX")
# Every process this run starts inherits this marker, so the leak check below finds exactly ours.
export NODE_TIER_RUN_ID=$work
export NODE_TIER_WORK=$work
# shellcheck source=tests/real/sandbox-env.sh
. "$repo/tests/real/sandbox-env.sh"
export LOCAL_CLUSTER_NODE=1
# The machine-wide settings kubelet changes, as they are before the run (compared after it when no other
# node runs then).
sysctls_before=$(sysctl vm.overcommit_memory vm.panic_on_oom kernel.panic kernel.panic_on_oops 2>/dev/null)

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
        if { tr '\0' '\n' <"$environ"; } 2>/dev/null | grep -qxF "NODE_TIER_RUN_ID=$work"; then
            echo "$pid $(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | cut -c1-120)"
        fi
    done
}

# shellcheck disable=SC2317  # the EXIT trap
teardown() {
    local exit_code=$? leftovers down_started=$SECONDS
    "$repo/scripts/local-cluster.sh" down || true
    echo "node tier: cluster down in $((SECONDS - down_started)) s"
    sleep 0.5
    leftovers=$(our_processes)
    if [ -n "$leftovers" ]; then
        echo "node tier: FAILED: processes outlived the run (now stopped):" >&2
        echo "$leftovers" >&2
        # shellcheck disable=SC2046  # pids, one word each
        kill -KILL $(echo "$leftovers" | awk '{print $1}') 2>/dev/null || true
        exit_code=1
    fi
    bash "$repo/scripts/node/leftovers.sh" "$LOCAL_CLUSTER_DIR" || exit_code=1
    if [ ! -d /run/persistent-agents-nodes ]; then
        local after
        after=$(sysctl vm.overcommit_memory vm.panic_on_oom kernel.panic kernel.panic_on_oops 2>/dev/null)
        if [ "$after" != "$sysctls_before" ]; then
            echo "node tier: FAILED: machine-wide settings not put back: before: $sysctls_before; after: $after" >&2
            exit_code=1
        fi
    fi
    if [ "${NODE_TIER_KEEP:-0}" = 1 ]; then
        echo "node tier: kept $work"
    else
        rm -rf "$work"
    fi
    echo "${summary_line:-node tier: did not finish} (exit $exit_code)"
    exit "$exit_code"
}
trap teardown EXIT
trap 'exit 130' INT TERM

cluster_started=$SECONDS
LOCAL_CLUSTER_VOLUMES=24 "$repo/scripts/local-cluster.sh" up
echo "node tier: cluster with a node up in $((SECONDS - cluster_started)) s"

cd "$repo"
passed=0 failed=0 skipped=0
count() { # count <tap file> <pass|fail|skipped|cancelled>: the figure of node:test's TAP summary, 0 if absent
    local figure
    figure=$(sed -n "s/^# $2 //p" "$1" 2>/dev/null | tail -n1)
    echo "${figure:-0}"
}
summary_status=0
# The running agents' tests are pytest: tests/node/agents with the desktop end-to-end venv (official MCP
# client, Pillow), tests/node/agent-loop with the agent runtime's (kagent-adk, a2a-sdk); they count from
# pytest's JUnit report.
run_pytest() { # run_pytest <step> <venv> <pytest arguments (paths included)>
    local report=$work/$1.xml venv=$2
    shift 2
    PYTHONDONTWRITEBYTECODE=1 "$venv/bin/python" -m pytest -p no:cacheprovider -v --timeout=900 \
        --junitxml="$report" "$@" || summary_status=1
    attribute() { sed -n "s/.*<testsuite [^>]*$1=\"\([0-9]*\)\".*/\1/p" "$report" 2>/dev/null | head -n1; }
    local tests failures errors skips
    tests=$(attribute tests) failures=$(attribute failures) errors=$(attribute errors) skips=$(attribute skipped)
    [ -n "$tests" ] || { failed=$((failed + 1)); return; }
    passed=$((passed + tests - failures - errors - skips))
    failed=$((failed + failures + errors))
    skipped=$((skipped + skips))
}

after_sleep=$here/agent-loop/test_after_sleep.py
for file in ${NODE_TIER_FILES:-node.test.ts buildDaemon.test.ts stack.test.ts agents agent-loop persistence.test.ts backup.test.ts egress.test.ts sleep.test.ts wakerRestart.test.ts agent-loop-after-sleep}; do
    tap=$work/$(basename "$file").tap # a file outside tests/node (bench/wake's) is named from here
    file_started=$SECONDS
    case "$file" in
        agents | agent-loop | agent-loop-after-sleep)
            if [ "$file" = agents ]; then
                venv=$(bash "$repo/tests/desktop-e2e/run.sh" --print-venv)
                paths=("$here/agents")
            elif [ "$file" = agent-loop ]; then
                venv=$(bash "$repo/scripts/agent-runtime/venv.sh")
                paths=("$here/agent-loop" --ignore="$after_sleep")
            else
                venv=$(bash "$repo/scripts/agent-runtime/venv.sh")
                paths=("$after_sleep")
            fi
            # shellcheck disable=SC2086  # pytest arguments, one per word
            run_pytest "$file" "$venv" "${paths[@]}" ${NODE_TIER_PYTEST_ARGS:-}
            echo "node tier: $file took $((SECONDS - file_started)) s"
            continue
            ;;
    esac
    if ! node --require tsx/cjs --test --test-concurrency=1 \
        --test-reporter=spec --test-reporter-destination=stdout \
        --test-reporter=tap --test-reporter-destination="$tap" \
        "$here/$file"; then
        summary_status=1
        [ "$(count "$tap" fail)" -gt 0 ] || [ "$(count "$tap" cancelled)" -gt 0 ] || failed=$((failed + 1))
    fi
    passed=$((passed + $(count "$tap" pass)))
    failed=$((failed + $(count "$tap" fail) + $(count "$tap" cancelled)))
    skipped=$((skipped + $(count "$tap" skipped)))
    echo "node tier: $file took $((SECONDS - file_started)) s"
done
summary_line="node tier: $passed passed, $failed failed, $skipped skipped in $((SECONDS - started)) s"
[ "$failed" -eq 0 ] || summary_status=1
exit "$summary_status"
