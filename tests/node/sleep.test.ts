/**
 * Sleep on idle on the node (issue 23): the copy's stack gets `platform.suspend` and both agents a short
 * `suspend.idleAfter` the way an operator sets them, then the README's deploy again (the waker's image built
 * and pushed, `pulumi up`). Against the running pods: an idle computer scales to zero by itself and
 * `pulumi preview` shows no drift; discovery is answered while it sleeps; a tool call through the waker
 * (the URL kagent is given) wakes it and gets a normal answer, with the workspace file and the jobs'
 * journal intact; a running job keeps it awake past idleAfter, and so does a viewer connected to the browser
 * view, and a visit to the view through the waker wakes it; two agents sleep and wake independently;
 * another agent's token wakes nothing. It leaves the agents
 * asleep, for agent-loop/test_after_sleep.py (Kagent's runtime wakes them).
 */
import * as assert from "node:assert";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import { request as httpRequest } from "node:http";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import * as yaml from "js-yaml";
import { openWebSocket, RfbViewer } from "../../images/browser-view/test/viewer";
import { wakerViewPath } from "../../components/contract/waker";
import { stackPlans } from "../../scripts/local-stack/stackPlans";
import {
    clusterDir,
    computerPods,
    type Forward,
    kubectlOk,
    mcpClient,
    portForward,
    REPO,
    secretValue,
    waitFor,
} from "./fixture";
import { stackProject } from "./stackProject";

const PROJECT_PREFIX = "persistent-agents:";
const IDLE_AFTER_SECONDS = 30;
const WAKER_NAMESPACE = "agent-waker";
const AGENTS = ["devbot", "databot"] as const;
/** platform.browserView.host: devbot's view gets an Ingress, which goes through the waker since devbot sleeps. */
const VIEW_HOST = "desktops.local.test";
type Agent = (typeof AGENTS)[number];

/** Where pods reach the API server: the kubernetes Service's address and the server's own (after DNAT). */
function apiServerAddresses(): { cidrs: string[]; ports: number[] } {
    const ports = fs.readFileSync(path.join(clusterDir(), "ports.env"), "utf8");
    const address = /^API_ADDRESS=(.+)$/m.exec(ports)![1].trim();
    const port = Number(/^APISERVER_PORT=(.+)$/m.exec(ports)![1].trim());
    const clusterIp = kubectlOk(["-n", "default", "get", "service", "kubernetes", "-o", "jsonpath={.spec.clusterIP}"]);
    return { cidrs: [`${clusterIp}/32`, `${address}/32`], ports: [443, port] };
}

function replicas(namespace: string, deployment: string): number {
    return Number(kubectlOk(["-n", namespace, "get", "deployment", deployment, "-o", "jsonpath={.spec.replicas}"]));
}

function runningPods(namespace: string, agent: string): number {
    return computerPods(namespace, agent).length;
}

describe("sleep on idle on the node", () => {
    let forward: Forward;
    /** One MCP session opened while the computer is awake and kept across its sleep, as kagent's runtime pools it. */
    let pooled: Awaited<ReturnType<typeof mcpClient>>;
    let plans: Record<Agent, ReturnType<typeof stackPlans>["plans"][number]>;
    const token = (agent: Agent) =>
        secretValue(plans[agent].namespace.name, plans[agent].credentials.secretName, "mcp-token");
    const computer = (agent: Agent) => ({ namespace: plans[agent].namespace.name, name: plans[agent].computer.name });
    const url = (agent: Agent) => `http://127.0.0.1:${forward.port}/agents/${agent}/shell/mcp`;

    /** One tool call through the waker (kagent's route), as a new MCP session: its result and how long it took. */
    async function call(agent: Agent, name: string, args: Record<string, unknown>, as: Agent = agent) {
        const started = Date.now();
        const client = await mcpClient(url(agent), token(as));
        try {
            const result = await client.callTool({ name, arguments: args });
            return { result, seconds: (Date.now() - started) / 1000 };
        } finally {
            await client.close();
        }
    }

    async function asleep(agent: Agent, timeoutMs = (IDLE_AFTER_SECONDS + 60) * 1000): Promise<void> {
        const { namespace, name } = computer(agent);
        await waitFor(
            `${agent}'s computer asleep (replicas 0, no pod)`,
            () => replicas(namespace, name) === 0 && runningPods(namespace, agent) === 0,
            timeoutMs,
        );
    }

    before(async () => {
        const project = stackProject();
        const stack = yaml.load(fs.readFileSync(project.configFile, "utf8")) as { config: Record<string, any> };
        const platform = stack.config[`${PROJECT_PREFIX}platform`];
        platform.suspend = { enabled: true, wakeTimeout: "3m" };
        platform.apiServer = apiServerAddresses();
        // No ingress controller runs on the node: the tests send what one would (the view's Host) to the waker.
        // Nothing publishes the Ingress's address either, so Pulumi is told not to wait for one (the
        // operator's annotations pass through to the Ingress).
        platform.browserView = {
            host: VIEW_HOST,
            tlsSecretName: "desktops-tls",
            annotations: { "pulumi.com/skipAwait": "true" },
        };
        for (const agent of stack.config[`${PROJECT_PREFIX}agents`]) {
            agent.suspend = { idleAfter: `${IDLE_AFTER_SECONDS}s` };
        }
        fs.writeFileSync(project.configFile, yaml.dump(stack));
        const deploy = spawnSync(
            "bash",
            [path.join(REPO, "scripts", "local-stack", "deploy.sh"), clusterDir(), project.dir],
            { stdio: "inherit", timeout: 20 * 60_000 },
        );
        assert.strictEqual(deploy.status, 0, "scripts/local-stack/deploy.sh failed (its output is above)");
        const all = stackPlans(project.configFile).plans;
        plans = Object.fromEntries(AGENTS.map((agent) => [agent, all.find((p) => p.agent === agent)!])) as typeof plans;
        kubectlOk(["-n", WAKER_NAMESPACE, "rollout", "status", "deployment/waker", "--timeout=180s"]);
        forward = await portForward(WAKER_NAMESPACE, "svc/waker", 8080);
    });

    after(async () => {
        await pooled?.close();
        forward?.close();
    });

    it("gives kagent the waker's routes", () => {
        for (const agent of AGENTS) {
            const server = plans[agent].mcpServers.find((s) => s.container === "shell")!;
            assert.match(
                server.url,
                new RegExp(
                    `^http://waker\\.${WAKER_NAMESPACE}\\.svc\\.cluster\\.local:8080/agents/${agent}/shell/mcp$`,
                ),
            );
        }
    });

    it("answers through the waker, and refuses another agent's token", async () => {
        const { result } = await call("databot", "run_command", {
            command:
                "mkdir -p ~/workspace/sleep-test && echo kept-across-sleep > ~/workspace/sleep-test/file && echo ok",
        });
        assert.strictEqual(result.structuredContent.stdout, "ok\n");
        await assert.rejects(
            call("databot", "run_command", { command: "true" }, "devbot"),
            /missing or wrong bearer token/,
        );
        // Kept across the sleep, as kagent's runtime pools its session; it lists the tools while the
        // computer runs, as kagent's controller does every minute.
        pooled = await mcpClient(url("databot"), token("databot"));
        assert.ok((await pooled.listTools()).tools.length > 0);
    });

    it("puts an idle computer to sleep by itself, and preview shows no drift", async () => {
        const job = await call("databot", "start_job", { command: "echo journal-entry" });
        assert.ok(job.result.structuredContent.job_id);
        await asleep("databot");
        await asleep("devbot");
        const { namespace, name } = computer("databot");
        const state = kubectlOk(["-n", namespace, "get", "deployment", name, "-o", "jsonpath={.metadata.annotations}"]);
        assert.match(state, /"persistent-agents.dev\/sleep-state":"asleep"/);
        const changes = stackProject()
            .preview(["--expect-no-changes"])
            .filter((step) => step.op !== "same");
        assert.deepStrictEqual(changes, [], "pulumi preview shows changes while the agents sleep");
    });

    it("answers discovery while asleep without waking the computer", async () => {
        const client = await mcpClient(url("databot"), token("databot"));
        try {
            const { tools } = await client.listTools();
            assert.ok(tools.some((tool: { name: string }) => tool.name === "run_command"));
        } finally {
            await client.close();
        }
        const { namespace, name } = computer("databot");
        assert.strictEqual(replicas(namespace, name), 0, "listing the tools woke the computer");
    });

    it("wakes on a tool call in a session opened before the sleep; the workspace file and the jobs' journal survived", async () => {
        const started = Date.now();
        const result = await pooled.callTool({
            name: "run_command",
            arguments: { command: "cat ~/workspace/sleep-test/file" },
        });
        const seconds = (Date.now() - started) / 1000;
        assert.strictEqual(result.isError, undefined);
        assert.strictEqual(result.structuredContent.stdout, "kept-across-sleep\n");
        console.log(`databot (shell) woke and answered in ${seconds.toFixed(1)} s`);
        const jobs = await call("databot", "list_jobs", {});
        assert.match(JSON.stringify(jobs.result.structuredContent), /echo journal-entry/);
        const devbot = computer("devbot");
        assert.strictEqual(replicas(devbot.namespace, devbot.name), 0, "waking databot woke devbot");
    });

    it("keeps a computer with a running job awake past idleAfter, and sleeps it after", async () => {
        const running = IDLE_AFTER_SECONDS * 2 + 20;
        await call("databot", "start_job", { command: `sleep ${running}` });
        const { namespace, name } = computer("databot");
        const until = Date.now() + (IDLE_AFTER_SECONDS + 30) * 1000;
        while (Date.now() < until) {
            assert.strictEqual(replicas(namespace, name), 1, "asleep while its job ran");
            await new Promise((resolve) => setTimeout(resolve, 5000));
        }
        await asleep("databot", (running + IDLE_AFTER_SECONDS + 60) * 1000);
    });

    it("wakes the desktop agent on its own call; the other stays asleep", async () => {
        const { result, seconds } = await call("devbot", "run_command", { command: "echo $DISPLAY" });
        assert.strictEqual(result.structuredContent.stdout, ":0\n");
        console.log(`devbot (desktop) woke and answered in ${seconds.toFixed(1)} s`);
        const databot = computer("databot");
        assert.strictEqual(replicas(databot.namespace, databot.name), 0);
    });

    it("keeps the desktop awake while a viewer is connected to its browser view, and sleeps it after", async () => {
        const plan = plans.devbot;
        const port = plan.computer.servicePorts.find((p) => p.name === "browser-view")!.port;
        const view = await portForward(plan.namespace.name, `svc/${plan.computer.name}`, port);
        const { namespace, name } = computer("devbot");
        try {
            const login = await fetch(`http://127.0.0.1:${view.port}/login`, {
                method: "POST",
                headers: { "Content-Type": "application/x-www-form-urlencoded" },
                body: new URLSearchParams({
                    token: secretValue(namespace, plan.credentials.secretName, "browser-view-token"),
                }),
                redirect: "manual",
            });
            assert.strictEqual(login.status, 303, "the browser view refused devbot's own token");
            const cookie = login.headers.getSetCookie()[0].split(";")[0];
            const { ws, early } = await openWebSocket(`ws://127.0.0.1:${view.port}/websockify`, { Cookie: cookie });
            assert.ok(ws, "the browser view refused the viewer's WebSocket");
            const viewer = new RfbViewer(ws, early);
            await viewer.handshake();
            // The viewer only watches: no tool call, no job. Past idleAfter (and the waker's check) it stays awake.
            const until = Date.now() + (IDLE_AFTER_SECONDS + 30) * 1000;
            while (Date.now() < until) {
                assert.strictEqual(replicas(namespace, name), 1, "asleep while a viewer was connected");
                assert.ok(!viewer.closed, "the viewer's connection closed");
                await new Promise((resolve) => setTimeout(resolve, 5000));
            }
            ws.close();
        } finally {
            view.close();
        }
        await asleep("devbot");
    });

    it("wakes the desktop on a visit to its browser view through the waker; the view works there", async () => {
        const plan = plans.devbot;
        const view = `http://127.0.0.1:${forward.port}${wakerViewPath("devbot")}`;
        const started = Date.now();
        const page = await fetch(view);
        const seconds = (Date.now() - started) / 1000;
        assert.strictEqual(page.status, 200);
        assert.match(await page.text(), /<form method="post" action="login"/, "not the view's login page");
        console.log(`devbot (desktop) woke for a visit to its browser view and served it in ${seconds.toFixed(1)} s`);
        const { namespace, name } = computer("devbot");
        assert.strictEqual(replicas(namespace, name), 1);
        const login = await fetch(`${view}login`, {
            method: "POST",
            headers: { "Content-Type": "application/x-www-form-urlencoded" },
            body: new URLSearchParams({
                token: secretValue(namespace, plan.credentials.secretName, "browser-view-token"),
            }),
            redirect: "manual",
        });
        assert.strictEqual(login.status, 303);
        assert.strictEqual(
            new URL(login.headers.get("location")!, `${view}login`).href,
            view,
            "login leads back to the view",
        );
        const cookie = login.headers.getSetCookie()[0].split(";")[0];
        const { ws, early } = await openWebSocket(`${view.replace(/^http/, "ws")}websockify`, { Cookie: cookie });
        assert.ok(ws, "the viewer's WebSocket through the waker was refused");
        try {
            const { width, height } = await new RfbViewer(ws, early).handshake();
            const resolution = plan.computer.containers
                .find((c) => c.role === "desktop")
                ?.env.find((e) => e.name === "RESOLUTION")?.value;
            assert.strictEqual(`${width}x${height}`, resolution);
        } finally {
            ws.close();
        }
        await asleep("devbot");
    });

    it("serves the desktop's view by its Ingress host through the waker, waking it, and no MCP route there", async () => {
        const ingress = JSON.parse(
            kubectlOk(["-n", WAKER_NAMESPACE, "get", "ingress", "devbot-browser-view", "-o", "json"]),
        );
        const host = ingress.spec.rules[0].host as string;
        assert.strictEqual(host, `devbot.${VIEW_HOST}`);
        assert.deepStrictEqual(ingress.spec.rules[0].http.paths[0].backend.service, {
            name: "waker",
            port: { name: "http" },
        });
        /** A GET as the ingress controller sends it: the view's host in Host. */
        const get = (pathname: string) =>
            new Promise<{ status: number; body: string }>((resolve, reject) => {
                const req = httpRequest(`http://127.0.0.1:${forward.port}${pathname}`, { headers: { host } });
                req.on("response", (response) => {
                    const chunks: Buffer[] = [];
                    response.on("data", (chunk: Buffer) => chunks.push(chunk));
                    response.on("end", () =>
                        resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString() }),
                    );
                });
                req.on("error", reject);
                req.end();
            });
        const { namespace, name } = computer("devbot");
        assert.strictEqual(replicas(namespace, name), 0, "devbot is awake before the visit");
        const page = await get("/");
        assert.strictEqual(page.status, 200);
        assert.match(page.body, /<form method="post" action="login"/, "not the view's login page");
        assert.strictEqual(replicas(namespace, name), 1);
        const mcp = await get("/agents/devbot/shell/mcp");
        assert.doesNotMatch(mcp.body, /jsonrpc/, "an MCP route answered through the view's host");
        await asleep("devbot");
    });
});
