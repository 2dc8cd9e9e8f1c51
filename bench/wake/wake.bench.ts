/**
 * Wake latency against a fresh cold start, and what an idle agent costs awake and asleep (issue 23;
 * docs/benchmarks.md, "Sleep and wake"). Run by bench/wake/run.sh through the node tier's harness, after
 * stack.test.ts and sleep.test.ts (platform.suspend deployed, the agents asleep). For each agent, RUNS
 * interleaved pairs (the order alternates), each from a computer with no pod (replicas 0, pod gone):
 *   - wake: one tool call through the waker in an MCP session opened before (kagent's runtime pools its
 *     session), from the call to its answer: the waker scales to 1, waits for Ready and its servers, proxies;
 *   - cold: the same Deployment scaled 0 → 1 by kubectl (no waker), `kubectl rollout status` (a watch) until
 *     the pod is Ready, then the same call through the same session (the waker only proxies it).
 * The call: databot (shell) run_command, devbot (desktop) take_screenshot. Then, for each agent, the requests
 * of its rendered pod and its measured use (kubelet's summary API: working set, CPU) awake and idle, against
 * asleep: no pod, its claims only; and the waker's own pod, which every agent shares.
 */
import * as assert from "node:assert";
import { after, before, describe, it } from "node:test";
import { stackPlans } from "../../scripts/local-stack/stackPlans";
import { type Forward, kubectlOk, mcpClient, portForward, secretValue, sleep, waitFor } from "../../tests/node/fixture";
import { stackProject } from "../../tests/node/stackProject";

const RUNS = Number(process.env.RUNS ?? 5);
const WAKER_NAMESPACE = "agent-waker";
const AGENTS = ["databot", "devbot"] as const;
type Agent = (typeof AGENTS)[number];
type Plan = ReturnType<typeof stackPlans>["plans"][number];

function percentile(values: number[], p: number): number {
    const sorted = [...values].sort((a, b) => a - b);
    return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

const figures = (values: number[]) =>
    `p50 ${percentile(values, 50).toFixed(2)} s, p95 ${percentile(values, 95).toFixed(2)} s ` +
    `(min ${Math.min(...values).toFixed(2)}, max ${Math.max(...values).toFixed(2)}; ${values.map((v) => v.toFixed(2)).join(" ")})`;

function quantity(text: string | undefined): number {
    if (!text) return 0;
    const units: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, m: 1e-3, k: 1e3, M: 1e6, G: 1e9 };
    const match = /^([0-9.]+)([A-Za-z]*)$/.exec(text);
    assert.ok(match, `a quantity: ${text}`);
    return Number(match[1]) * (units[match[2]] ?? 1);
}

const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;

describe("wake against cold start, and an idle agent's cost", () => {
    let plans: Record<Agent, Plan>;
    let forward: Forward;
    const sessions = new Map<Agent, any>();

    const computerState = (plan: Plan) => {
        const replicas = Number(
            kubectlOk([
                "-n",
                plan.namespace.name,
                "get",
                "deployment",
                plan.computer.name,
                "-o",
                "jsonpath={.spec.replicas}",
            ]),
        );
        const pods = kubectlOk([
            "-n",
            plan.namespace.name,
            "get",
            "pods",
            "-l",
            `persistent-agents.dev/agent=${plan.agent},app.kubernetes.io/component=computer`,
            "-o",
            "name",
        ])
            .split("\n")
            .filter(Boolean).length;
        return { replicas, pods };
    };

    function scale(plan: Plan, replicas: 0 | 1): void {
        kubectlOk(["-n", plan.namespace.name, "scale", `deployment/${plan.computer.name}`, `--replicas=${replicas}`]);
    }

    async function noPod(plan: Plan): Promise<void> {
        scale(plan, 0);
        await waitFor(
            `${plan.agent}: no pod`,
            () => {
                const state = computerState(plan);
                return state.replicas === 0 && state.pods === 0;
            },
            180_000,
        );
    }

    /** The agent's first-answer call, through the waker in the pooled session; throws unless it answered. */
    async function call(agent: Agent): Promise<void> {
        const session = sessions.get(agent);
        if (agent === "devbot") {
            const result = await session.callTool({ name: "take_screenshot", arguments: {} });
            assert.ok(
                result.content.some((c: { type: string; mimeType?: string }) => c.mimeType === "image/png"),
                "no screenshot",
            );
        } else {
            const result = await session.callTool({ name: "run_command", arguments: { command: "echo ok" } });
            assert.strictEqual(result.structuredContent.stdout, "ok\n");
        }
    }

    async function timed(work: () => Promise<void>): Promise<number> {
        const started = performance.now();
        await work();
        return (performance.now() - started) / 1000;
    }

    async function wakeOnce(agent: Agent): Promise<number> {
        await noPod(plans[agent]);
        return timed(() => call(agent));
    }

    async function coldOnce(agent: Agent): Promise<number> {
        const plan = plans[agent];
        await call(agent); // a call now: the waker counts idleness from it, not from the last run's
        await noPod(plan);
        return timed(async () => {
            scale(plan, 1);
            kubectlOk([
                "-n",
                plan.namespace.name,
                "rollout",
                "status",
                `deployment/${plan.computer.name}`,
                "--timeout=300s",
            ]);
            // Ready is not yet routed: the Service's rules lag the pod (the waker's own wake waits for its
            // servers through the Service). A client of a fresh pod calls again until it answers.
            await waitFor(`${agent}'s first answer after Ready`, () => call(agent).then(() => true), 60_000);
        });
    }

    async function wakerCounter(name: string, agent: Agent): Promise<number> {
        const metrics = await portForward(WAKER_NAMESPACE, "deploy/waker", 9105);
        try {
            const text = await (await fetch(`http://127.0.0.1:${metrics.port}/metrics`)).text();
            const line = text.split("\n").find((l) => l.startsWith(`${name}{agent="${agent}"}`));
            return Number(line?.split(" ").pop() ?? Number.NaN);
        } finally {
            metrics.close();
        }
    }

    before(async () => {
        const all = stackPlans(stackProject().configFile).plans;
        plans = Object.fromEntries(AGENTS.map((agent) => [agent, all.find((p) => p.agent === agent)!])) as typeof plans;
        forward = await portForward(WAKER_NAMESPACE, "svc/waker", 8080);
        for (const agent of AGENTS) {
            const plan = plans[agent];
            const server = plan.mcpServers.find(
                (s) => s.container === (agent === "devbot" ? "computerControl" : "shell"),
            )!;
            const route = new URL(server.url).pathname;
            const token = secretValue(plan.namespace.name, plan.credentials.secretName, "mcp-token");
            sessions.set(agent, await mcpClient(`http://127.0.0.1:${forward.port}${route}`, token));
            await call(agent); // wakes it if asleep: every run starts from an awake computer
        }
    });

    after(async () => {
        for (const session of sessions.values()) await session.close().catch(() => undefined);
        forward?.close();
    });

    for (const agent of AGENTS) {
        it(`${agent}: wake through the waker against a cold start by kubectl, ${RUNS} interleaved runs`, async () => {
            const sleepsBefore = await wakerCounter("waker_sleeps_total", agent);
            const wake: number[] = [];
            const cold: number[] = [];
            for (let run = 0; run < RUNS; run++) {
                if (run % 2 === 0) {
                    wake.push(await wakeOnce(agent));
                    cold.push(await coldOnce(agent));
                } else {
                    cold.push(await coldOnce(agent));
                    wake.push(await wakeOnce(agent));
                }
                console.log(
                    `${agent} run ${run + 1}: wake ${wake.at(-1)!.toFixed(2)} s, cold ${cold.at(-1)!.toFixed(2)} s`,
                );
            }
            const sleepsAfter = await wakerCounter("waker_sleeps_total", agent);
            console.log(`${agent} wake (waker, from the call): ${figures(wake)}`);
            console.log(`${agent} cold (kubectl scale 0→1, rollout status, the call): ${figures(cold)}`);
            console.log(
                `${agent} wake/cold: p50 ${(percentile(wake, 50) / percentile(cold, 50)).toFixed(2)}, ` +
                    `p95 ${(percentile(wake, 95) / percentile(cold, 95)).toFixed(2)}`,
            );
            assert.strictEqual(sleepsAfter, sleepsBefore, "the waker put the computer to sleep during the runs");
        });
    }

    it("an idle agent's cost: requests and measured use awake, claims only asleep", async () => {
        // Idle but awake: nothing called, one shell job (`sleep`, no CPU, ~1 MiB) keeps the waker from putting
        // it to sleep during the samples, as a running build would.
        for (const agent of AGENTS) {
            const plan = plans[agent];
            const route = new URL(plan.mcpServers.find((s) => s.container === "shell")!.url).pathname;
            const token = secretValue(plan.namespace.name, plan.credentials.secretName, "mcp-token");
            const shell = await mcpClient(`http://127.0.0.1:${forward.port}${route}`, token);
            try {
                const job = await shell.callTool({ name: "start_job", arguments: { command: "sleep 300" } });
                assert.ok(job.structuredContent.job_id, `${agent}: no job started`);
            } finally {
                await shell.close();
            }
        }
        await sleep(15_000); // the calls' work settles
        const node = kubectlOk(["get", "nodes", "-o", "jsonpath={.items[0].metadata.name}"]).trim();
        const samples: any[] = [];
        for (let i = 0; i < 3; i++) {
            samples.push(JSON.parse(kubectlOk(["get", "--raw", `/api/v1/nodes/${node}/proxy/stats/summary`])));
            await sleep(10_000);
        }
        const podUse = (namespace: string, match: (name: string) => boolean) => {
            const memory: number[] = [];
            const cpu: number[] = [];
            for (const summary of samples) {
                for (const pod of summary.pods.filter(
                    (p: any) => p.podRef.namespace === namespace && match(p.podRef.name),
                )) {
                    memory.push(pod.containers.reduce((n: number, c: any) => n + (c.memory?.workingSetBytes ?? 0), 0));
                    cpu.push(pod.containers.reduce((n: number, c: any) => n + (c.cpu?.usageNanoCores ?? 0), 0) / 1e6);
                }
            }
            const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);
            return { memory: mean(memory), cpuMillicores: mean(cpu), samples: memory.length };
        };
        const requests = (namespace: string, deployment: string) => {
            const spec = JSON.parse(kubectlOk(["-n", namespace, "get", "deployment", deployment, "-o", "json"])).spec
                .template.spec;
            let cpu = 0;
            let memory = 0;
            for (const container of spec.containers) {
                cpu += quantity(container.resources?.requests?.cpu) * 1000;
                memory += quantity(container.resources?.requests?.memory);
            }
            return { cpuMillicores: cpu, memory };
        };
        for (const agent of AGENTS) {
            const plan = plans[agent];
            const asked = requests(plan.namespace.name, plan.computer.name);
            const used = podUse(plan.namespace.name, (name) => name.startsWith(`${plan.computer.name}-`));
            assert.ok(used.samples > 0, `${agent}'s computer pod in kubelet's summary`);
            const claims = JSON.parse(kubectlOk(["-n", plan.namespace.name, "get", "pvc", "-o", "json"])).items.map(
                (claim: any) =>
                    `${claim.metadata.name} ${claim.status.capacity?.storage ?? claim.spec.resources.requests.storage}`,
            );
            await noPod(plan);
            console.log(
                `${agent} awake, idle: requests ${asked.cpuMillicores.toFixed(0)}m CPU ${mib(asked.memory)}; ` +
                    `measured ${used.cpuMillicores.toFixed(1)}m CPU, working set ${mib(used.memory)} (${used.samples} samples)`,
            );
            const others = kubectlOk(["-n", plan.namespace.name, "get", "pods", "-o", "name"])
                .split("\n")
                .filter(Boolean);
            console.log(
                `${agent} asleep: no computer pod (requests 0, use 0); claims: ${claims.join(", ")}; ` +
                    `other pods in its namespace: ${others.join(", ") || "none"}`,
            );
        }
        const waker = requests(WAKER_NAMESPACE, "waker");
        const wakerUse = podUse(WAKER_NAMESPACE, (name) => name.startsWith("waker-"));
        console.log(
            `the waker (shared by every agent): requests ${waker.cpuMillicores.toFixed(0)}m CPU ${mib(waker.memory)}; ` +
                `measured ${wakerUse.cpuMillicores.toFixed(1)}m CPU, working set ${mib(wakerUse.memory)}`,
        );
    });
});
