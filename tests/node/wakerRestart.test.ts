/**
 * The waker survives its own restart, on the node (issue 23: "no wake lost, no double wake"). Runs after
 * sleep.test.ts, from where it leaves the stack: platform.suspend deployed, a 30 s idleAfter, the agents
 * going to sleep. Against the running waker:
 *   - deleted while databot sleeps, the new waker lists databot's tools without waking it (the discovery
 *     answers the last one saved on the Deployment), and a tool call through it wakes databot once (one
 *     scale: one scale-up event of the Deployment controller, its wake counter says 1) with a normal answer;
 *   - restarted while databot is awake, the new one sees it awake and still puts it to sleep after idleAfter;
 *   - killed (SIGKILL, no goodbye) in the middle of a wake, once replicas became 1: the retried call through
 *     the restarted waker answers, with one pod, replicas 1, no second scale and the state annotation right.
 */
import * as assert from "node:assert";
import * as fs from "node:fs";
import { after, before, describe, it } from "node:test";
import { stackPlans } from "../../scripts/local-stack/stackPlans";
import { computerPods, type Forward, kubectlOk, mcpClient, portForward, secretValue, sleep, waitFor } from "./fixture";
import { stackProject } from "./stackProject";

const WAKER_NAMESPACE = "agent-waker";
const WAKER_SELECTOR = "app.kubernetes.io/name=waker";
const IDLE_AFTER_SECONDS = 30; // sleep.test.ts's
const CHECK_SECONDS = 15; // the waker's default
const AGENT = "databot";

interface DeploymentState {
    replicas: number;
    /** Scale-ups the Deployment controller recorded (its ScalingReplicaSet events, counted). */
    scaleUps: number;
    sleepState: string | undefined;
    pods: { name: string; restarts: number }[];
}

describe("the waker's restart on the node", () => {
    let plan: ReturnType<typeof stackPlans>["plans"][number];
    let forward: Forward | undefined;
    const token = () => secretValue(plan.namespace.name, plan.credentials.secretName, "mcp-token");
    const url = () => `http://127.0.0.1:${forward!.port}/agents/${AGENT}/shell/mcp`;

    function state(): DeploymentState {
        const deployment = JSON.parse(
            kubectlOk(["-n", plan.namespace.name, "get", "deployment", plan.computer.name, "-o", "json"]),
        );
        const pods = computerPods(plan.namespace.name, AGENT);
        // Not the Deployment's generation: an annotation's change moves it too (the sleep state, the discovery
        // answers), since the controller copies annotations to the ReplicaSet.
        const events = JSON.parse(
            kubectlOk([
                "-n",
                plan.namespace.name,
                "get",
                "events",
                "--field-selector",
                `involvedObject.name=${plan.computer.name},reason=ScalingReplicaSet`,
                "-o",
                "json",
            ]),
        ).items;
        return {
            replicas: deployment.spec.replicas,
            scaleUps: events
                .filter((event: any) => /^Scaled up /.test(event.message))
                .reduce((n: number, event: any) => n + (event.count ?? 1), 0),
            sleepState: deployment.metadata.annotations?.["persistent-agents.dev/sleep-state"],
            pods: pods.map((pod: any) => ({
                name: pod.metadata.name,
                restarts: (pod.status.containerStatuses ?? []).reduce((n: number, c: any) => n + c.restartCount, 0),
            })),
        };
    }

    /** The state once the controller recorded one scale-up since `before`, and a few seconds later (no second). */
    async function oneScaleUp(before: DeploymentState): Promise<DeploymentState> {
        await waitFor("the scale-up's event", () => state().scaleUps > before.scaleUps, 30_000);
        await sleep(5000);
        const after = state();
        assert.strictEqual(after.scaleUps - before.scaleUps, 1, "databot's computer scaled up more than once");
        return after;
    }

    async function asleep(timeoutMs = (IDLE_AFTER_SECONDS + CHECK_SECONDS + 60) * 1000): Promise<void> {
        await waitFor(
            `${AGENT}'s computer asleep (replicas 0, no pod)`,
            () => {
                const now = state();
                return now.replicas === 0 && now.pods.length === 0;
            },
            timeoutMs,
        );
    }

    function wakerPod(): { name: string; uid: string; ready: boolean; restarts: number } | undefined {
        const pods = JSON.parse(
            kubectlOk(["-n", WAKER_NAMESPACE, "get", "pods", "-l", WAKER_SELECTOR, "-o", "json"]),
        ).items.filter((pod: any) => !pod.metadata.deletionTimestamp);
        if (pods.length !== 1) {
            return undefined;
        }
        const [pod] = pods;
        return {
            name: pod.metadata.name,
            uid: pod.metadata.uid,
            ready: (pod.status.conditions ?? []).some((c: any) => c.type === "Ready" && c.status === "True"),
            restarts: (pod.status.containerStatuses ?? []).reduce((n: number, c: any) => n + c.restartCount, 0),
        };
    }

    /** Waits for one waker pod that is Ready and matches `which`, then forwards to it again. */
    async function newWaker(which: (pod: NonNullable<ReturnType<typeof wakerPod>>) => boolean): Promise<void> {
        forward?.close();
        forward = undefined;
        await waitFor(
            "the new waker Ready",
            () => {
                const pod = wakerPod();
                return pod?.ready && which(pod);
            },
            180_000,
        );
        forward = await portForward(WAKER_NAMESPACE, "svc/waker", 8080);
    }

    /** The restarted waker's own counters (they start at 0 with the process). */
    async function wakerMetric(name: string): Promise<number> {
        const metrics = await portForward(WAKER_NAMESPACE, `pod/${wakerPod()!.name}`, 9105);
        try {
            const text = await (await fetch(`http://127.0.0.1:${metrics.port}/metrics`)).text();
            const line = text.split("\n").find((l) => l.startsWith(`${name}{agent="${AGENT}"}`));
            assert.ok(line, `${name} for ${AGENT} in the waker's metrics`);
            return Number(line.split(" ").pop());
        } finally {
            metrics.close();
        }
    }

    /** The waker's processes as the node runs them (the pod's cgroup names its uid), killed with SIGKILL. */
    function killWaker(uid: string): number {
        const forms = [uid, uid.replaceAll("-", "_")];
        let killed = 0;
        for (const entry of fs.readdirSync("/proc")) {
            if (!/^\d+$/.test(entry)) continue;
            let cgroup: string;
            let command: string;
            try {
                cgroup = fs.readFileSync(`/proc/${entry}/cgroup`, "utf8");
                command = fs.readFileSync(`/proc/${entry}/cmdline`, "utf8");
            } catch {
                continue; // gone meanwhile
            }
            if (forms.some((form) => cgroup.includes(`pod${form}`)) && /node/.test(command)) {
                process.kill(Number(entry), "SIGKILL");
                killed++;
            }
        }
        return killed;
    }

    async function toolCall(command: string): Promise<any> {
        const client = await mcpClient(url(), token());
        try {
            return await client.callTool({ name: "run_command", arguments: { command } });
        } finally {
            await client.close().catch(() => undefined);
        }
    }

    before(async () => {
        plan = stackPlans(stackProject().configFile).plans.find((p) => p.agent === AGENT)!;
        await asleep();
    });

    after(() => forward?.close());

    it("deleted while databot sleeps: the new waker lists its tools without waking it, and one call wakes it once", async () => {
        const old = wakerPod()!;
        kubectlOk(["-n", WAKER_NAMESPACE, "delete", "pod", old.name, "--wait=false"]);
        await newWaker((pod) => pod.uid !== old.uid);
        const before = state();
        assert.strictEqual(before.replicas, 0);

        const client = await mcpClient(url(), token());
        try {
            const { tools } = await client.listTools();
            assert.ok(tools.some((tool: { name: string }) => tool.name === "run_command"));
        } finally {
            await client.close();
        }
        await sleep(3000); // a wake would have scaled it by now
        assert.strictEqual(state().replicas, 0, "the restarted waker woke databot to list its tools");

        const result = await toolCall("cat ~/workspace/sleep-test/file");
        assert.strictEqual(result.structuredContent.stdout, "kept-across-sleep\n");
        const after = await oneScaleUp(before);
        assert.strictEqual(after.replicas, 1);
        assert.strictEqual(after.pods.length, 1);
        assert.strictEqual(after.sleepState, "awake");
        assert.strictEqual(await wakerMetric("waker_wakes_total"), 1);
    });

    it("restarted while databot is awake: the new waker sees it awake and puts it to sleep after idleAfter", async () => {
        const old = wakerPod()!;
        kubectlOk(["-n", WAKER_NAMESPACE, "delete", "pod", old.name, "--wait=false"]);
        await newWaker((pod) => pod.uid !== old.uid);
        const restarted = Date.now();
        assert.strictEqual(await wakerMetric("waker_computer_asleep"), 0, "the new waker thinks databot sleeps");
        // Idleness counts from the new waker's start: not asleep well within idleAfter of it, asleep after.
        await sleep((IDLE_AFTER_SECONDS - 10) * 1000);
        assert.strictEqual(state().replicas, 1, "asleep before idleAfter since the restart");
        await asleep();
        const seconds = (Date.now() - restarted) / 1000;
        assert.strictEqual(await wakerMetric("waker_sleeps_total"), 1);
        assert.strictEqual(await wakerMetric("waker_computer_asleep"), 1);
        console.log(
            `databot asleep ${seconds.toFixed(0)} s after the waker's restart (idleAfter ${IDLE_AFTER_SECONDS} s)`,
        );
    });

    it("killed in the middle of a wake: the retried call answers, with one pod and one scale", async () => {
        const before = state();
        assert.strictEqual(before.replicas, 0);
        const waker = wakerPod()!;
        const interrupted = Promise.race([
            toolCall("echo interrupted").then(
                () => "answered",
                (error: Error) => `failed: ${error.message}`,
            ),
            sleep(120_000).then(() => "no answer after 120 s"),
        ]);
        await waitFor("databot scaled to 1 by the wake", () => state().replicas === 1, 60_000);
        assert.ok(killWaker(waker.uid) > 0, "no waker process found to kill");
        console.log(`the call in flight when the waker died: ${await interrupted}`);
        await newWaker((pod) => pod.uid === waker.uid && pod.restarts > waker.restarts);

        const result = await toolCall("echo retried");
        assert.strictEqual(result.structuredContent.stdout, "retried\n");
        const after = await oneScaleUp(before);
        assert.strictEqual(after.replicas, 1);
        assert.strictEqual(after.pods.length, 1, "two pods of databot's computer");
        assert.strictEqual(after.pods[0].restarts, 0);
        assert.strictEqual(after.sleepState, "awake");
    });
});
