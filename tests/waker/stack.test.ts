/**
 * Sleep on idle (issue 23), the stack's side: the config's rules, the plan's routes as the waker reads them
 * (images/waker/src/routes.ts, the waker's own schema), the names both sides share, the waker's rights
 * (one Deployment and one Secret per agent, nothing else) and the network matrix with the waker in it.
 */
import * as assert from "node:assert";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { SLEEP_ANNOTATIONS, WAKER_FIELD_MANAGER } from "../../components/contract/waker";
import { type Cluster, type Endpoint, allowed } from "../harness/networkPolicyEvaluator";
import { runProgram } from "../harness/program";
import { clusterOf, computerPod, kagentPod, wakerPod } from "../harness/programCluster";
import { copy, stackConfig } from "../harness/stackFile";
import { MIN_IDLE_AFTER_SECONDS } from "../../components/config/agentSchema";
import { compileStack } from "../../components/plan";

function sleepingConfig(): Record<string, any> {
    const config = copy(stackConfig("test-cluster"));
    config.platform.suspend = { enabled: true, idleAfter: "30m" };
    config.platform.apiServer = { cidrs: ["10.0.0.1/32"] };
    // devbot's browser view: its viewers keep it awake (the waker asks /activity on port 6080).
    config.agents[0].desktop = { ...config.agents[0].desktop, browserView: { enabled: true } };
    return config;
}

function plan(config: Record<string, any>) {
    return compileStack({ values: config, isSecret: () => true, stackName: "test-cluster" });
}

async function problemsOf(config: Record<string, any>): Promise<string> {
    try {
        await runProgram({ config });
    } catch (error) {
        return String((error as Error).message);
    }
    return "";
}

const REPO = path.join(__dirname, "..", "..");

/** The waker's own check of a routes file (`main.ts --check`), and the names it shares with the stack. */
function wakerCheck(routes: unknown): { agents: string[]; annotations: Record<string, string>; fieldManager: string } {
    const folder = fs.mkdtempSync(path.join(os.tmpdir(), "waker-routes-"));
    try {
        const file = path.join(folder, "routes.json");
        fs.writeFileSync(file, JSON.stringify(routes));
        const out = execFileSync(
            process.execPath,
            ["--import", "tsx", path.join(REPO, "images/waker/src/main.ts"), "--check", file],
            {
                cwd: REPO,
                encoding: "utf8",
            },
        );
        return JSON.parse(out);
    } finally {
        fs.rmSync(folder, { recursive: true, force: true });
    }
}

describe("sleep on idle: config", () => {
    it("refuses idleAfter without the waker, naming the field and the fix", async () => {
        const config = copy(stackConfig("test-cluster"));
        config.agents[0].suspend = { idleAfter: "30m" };
        config.platform.suspend = { idleAfter: "1h" };
        const message = await problemsOf(config);
        assert.match(message, /agents\[0\]\.suspend\.idleAfter: .*needs the waker.*platform\.suspend\.enabled true/);
        assert.match(message, /platform\.suspend\.idleAfter: .*needs the waker/);
    });

    it("refuses what is not a duration, and idling shorter than 30 s", async () => {
        const config = sleepingConfig();
        config.agents[0].suspend = { idleAfter: "half an hour", wakeTimeout: "2 minutes" };
        config.agents[1].suspend = { idleAfter: "10s" };
        const message = await problemsOf(config);
        assert.match(message, /agents\[0\]\.suspend\.idleAfter: "half an hour" is not a duration .* or never/);
        assert.match(
            message,
            /agents\[0\]\.suspend\.wakeTimeout: "2 minutes" is not a duration: a whole number followed by s, m or h/,
        );
        assert.match(
            message,
            new RegExp(`agents\\[1\\]\\.suspend\\.idleAfter: "10s" is shorter than ${MIN_IDLE_AFTER_SECONDS}s`),
        );
    });

    it("takes the platform's default, an agent's own value, and never", () => {
        const config = sleepingConfig();
        config.agents[1].suspend = { idleAfter: "never" };
        config.agents.push({
            ...copy(config.agents[1]),
            name: "opsbot",
            suspend: { idleAfter: "2h", wakeTimeout: "45s" },
        });
        const sleep = Object.fromEntries(plan(config).agents.map((agent) => [agent.agent, agent.sleep]));
        assert.deepStrictEqual(
            [sleep.devbot?.idleAfterSeconds, sleep.devbot?.wakeTimeoutSeconds],
            [1800, 120],
            "the platform's 30m and the default wake timeout of 2m",
        );
        assert.strictEqual(sleep.databot, undefined, "never");
        assert.deepStrictEqual([sleep.opsbot?.idleAfterSeconds, sleep.opsbot?.wakeTimeoutSeconds], [7200, 45]);
    });
});

describe("sleep on idle: plan", () => {
    const config = sleepingConfig();
    config.agents[1].suspend = { idleAfter: "never" };
    const stack = plan(config);
    const [devbot, databot] = stack.agents;

    it("gives the waker routes its own schema accepts, for the agents that sleep only", () => {
        assert.ok(stack.waker, "no waker planned");
        assert.deepStrictEqual(wakerCheck(stack.waker.routes).agents, ["devbot"]);
        const broken = copy(stack.waker.routes) as any;
        broken.agents[0].servers.shell.url = "http://devbot-computer:8081/";
        assert.throws(() => wakerCheck(broken), /agents\.0\.servers\.shell\.url: must not end with \//);
        const [route] = stack.waker.routes.agents;
        assert.deepStrictEqual(Object.keys(route.servers).sort(), ["computer-control", "shell"]);
        assert.strictEqual(route.deployment, devbot.computer.name);
        assert.strictEqual(route.token.secret, devbot.credentials.secretName);
        assert.deepStrictEqual(route.view, { url: "http://devbot-computer.agent-devbot.svc.cluster.local:6080" });
        assert.ok(stack.images?.needed.includes("waker"), "the waker's image is built");
    });

    it("points kagent at the waker for an agent that sleeps, and straight at the computer otherwise", () => {
        for (const server of devbot.mcpServers) {
            assert.match(
                server.url,
                /^http:\/\/waker\.agent-waker\.svc\.cluster\.local:8080\/agents\/devbot\/(shell|computer-control)\/mcp$/,
            );
        }
        assert.deepStrictEqual(
            devbot.mcpServers.map((s) => s.timeout),
            ["780s", "240s"],
            "kagent's timeout covers the wake (120 s) and then the longest call",
        );
        assert.match(
            databot.mcpServers[0].url,
            /^http:\/\/databot-computer\.agent-databot\.svc\.cluster\.local:8081\/mcp$/,
        );
    });

    it("leaves replicas to the waker (no drift), and says the operator's suspend in an annotation", () => {
        assert.strictEqual(devbot.computer.replicas, undefined);
        assert.deepStrictEqual(devbot.computer.annotations, { [SLEEP_ANNOTATIONS.suspended]: "false" });
        assert.strictEqual(databot.computer.replicas, 1);
        const suspended = sleepingConfig();
        suspended.agents[0].suspended = true;
        const computer = plan(suspended).agents[0].computer;
        assert.strictEqual(computer.replicas, 0, "the operator's suspend is the stack's to set");
        assert.deepStrictEqual(computer.annotations, { [SLEEP_ANNOTATIONS.suspended]: "true" });
    });

    it("grants the waker one Deployment and one Secret per agent, nothing else", () => {
        const access = devbot.sleep?.access;
        assert.ok(access);
        assert.strictEqual(access.namespace, devbot.namespace.name);
        for (const rule of access.rules) {
            assert.ok(
                !rule.verbs.some((verb) => ["list", "watch", "create", "delete", "*"].includes(verb)),
                JSON.stringify(rule),
            );
            assert.deepStrictEqual(
                rule.resourceNames,
                rule.resources[0] === "secrets" ? [devbot.credentials.secretName] : [devbot.computer.name],
            );
        }
        assert.deepStrictEqual(access.subject, { namespace: "agent-waker", serviceAccount: "waker" });
    });

    it("names the annotations and the field manager as the waker does", () => {
        const waker = wakerCheck({ agents: [] });
        assert.deepStrictEqual(SLEEP_ANNOTATIONS, waker.annotations);
        assert.strictEqual(WAKER_FIELD_MANAGER, waker.fieldManager);
    });
});

describe("sleep on idle: who reaches whom", () => {
    const computer = computerPod;
    const waker = wakerPod;
    const stranger: Endpoint = { namespace: "default", labels: { app: "curious" } };
    const kagentController: Endpoint = { namespace: "kagent", labels: { app: "kagent-controller" } };
    let cluster: Cluster;

    before(async () => {
        cluster = clusterOf(await runProgram({ config: sleepingConfig() }), ["kagent", "default", "kube-system"]);
    });

    it("lets kagent's pods and controller reach the waker, and nobody else", () => {
        assert.ok(allowed(cluster, kagentPod("devbot"), waker, 8080));
        assert.ok(allowed(cluster, kagentController, waker, 8080));
        for (const from of [stranger, computer("devbot"), computer("databot")]) {
            assert.ok(!allowed(cluster, from, waker, 8080), JSON.stringify(from));
        }
        assert.ok(!allowed(cluster, kagentPod("devbot"), waker, 9105), "the metrics port is Prometheus's");
    });

    it("lets the waker reach the computers' MCP ports, the shell's metrics and a browser view, not VNC", () => {
        for (const agent of ["devbot", "databot"]) {
            assert.ok(allowed(cluster, waker, computer(agent), 8081), `${agent} shell`);
            assert.ok(allowed(cluster, waker, computer(agent), 9101), `${agent} shell metrics`);
            assert.ok(!allowed(cluster, waker, computer(agent), 5900), `${agent} VNC`);
        }
        assert.ok(allowed(cluster, waker, computer("devbot"), 6080), "devbot's browser view (its /activity)");
        assert.ok(!allowed(cluster, waker, computer("databot"), 6080), "databot has no browser view");
        assert.ok(allowed(cluster, waker, computer("devbot"), 8080), "devbot's computer-control");
        assert.ok(allowed(cluster, waker, { ip: "10.0.0.1" }, 443), "the API server");
        assert.ok(!allowed(cluster, waker, { ip: "10.0.0.2" }, 443), "another address");
    });

    it("sends an agent's kagent pod to the waker, never to another agent's computer", () => {
        assert.ok(allowed(cluster, kagentPod("devbot"), waker, 8080));
        assert.ok(!allowed(cluster, kagentPod("devbot"), computer("databot"), 8081));
        assert.ok(!allowed(cluster, computer("databot"), computer("devbot"), 8081));
    });
});
