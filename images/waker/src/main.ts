/**
 * The waker (docs/architecture.md, "Sleeping computers"): one per stack, in its own namespace. Serves the
 * agents' MCP routes on PORT, its metrics on METRICS_PORT, and every CHECK_SECONDS puts the computers
 * that idled long enough to sleep.
 */
import { createServer } from "node:http";
import { activityOf } from "./activity.js";
import { ANNOTATIONS, FIELD_MANAGER, KubernetesComputers } from "./cluster.js";
import { Computer } from "./computer.js";
import { AgentDiscovery } from "./discovery.js";
import { WakerMetrics } from "./metrics.js";
import { loadRoutes } from "./routes.js";
import { createWaker } from "./server.js";

const log = (line: string) => process.stderr.write(`${new Date().toISOString()} ${line}\n`);

function numberFromEnv(name: string, fallback: number): number {
    const value = Number(process.env[name] ?? fallback);
    if (!Number.isInteger(value) || value <= 0) {
        throw new Error(`waker: ${name} must be a positive whole number, not ${process.env[name]}`);
    }
    return value;
}

async function main(): Promise<void> {
    // `--check <file>`: validates a routes file and prints what the waker shares with the stack (the stack's
    // tests/waker/stack.test.ts holds the two sides equal with it); starts nothing.
    if (process.argv[2] === "--check") {
        const checked = loadRoutes(process.argv[3] ?? "");
        const shared = {
            agents: checked.agents.map((agent) => agent.name),
            annotations: ANNOTATIONS,
            fieldManager: FIELD_MANAGER,
        };
        process.stdout.write(`${JSON.stringify(shared)}\n`);
        return;
    }
    const routes = loadRoutes(process.env.WAKER_ROUTES ?? "/etc/waker/routes.json");
    const port = numberFromEnv("PORT", 8080);
    const metricsPort = numberFromEnv("METRICS_PORT", 9105);
    const checkMs = numberFromEnv("CHECK_SECONDS", 15) * 1000;
    const cluster = new KubernetesComputers();
    const metrics = new WakerMetrics(routes.agents.map((agent) => agent.name));
    const agents = await Promise.all(
        routes.agents.map(async (route) => {
            const api = cluster.computer({
                namespace: route.namespace,
                deployment: route.deployment,
                token: route.token,
            });
            const policy = {
                agent: route.name,
                idleAfterMs: route.idleAfterSeconds * 1000,
                wakeTimeoutMs: route.wakeTimeoutSeconds * 1000,
            };
            const computer = new Computer(policy, api, activityOf(route), metrics);
            // The state the last waker left: asleep or awake, and the discovery answers it saved.
            const status = await computer.refresh().catch((error) => {
                log(`waker: cannot read ${route.name}'s computer: ${error.message}`);
                return undefined;
            });
            const discovery = new AgentDiscovery((text) => api.saveDiscovery(text), log, status?.discovery);
            return { route, api, computer, discovery };
        }),
    );

    const waker = createWaker(agents, log).listen(port, () =>
        log(`waker: serving ${agents.length} agents on :${port}`),
    );
    const metricsServer = createServer(async (request, response) => {
        if (request.url !== "/metrics") {
            response.writeHead(404).end();
            return;
        }
        response.writeHead(200, { "content-type": metrics.registry.contentType }).end(await metrics.registry.metrics());
    }).listen(metricsPort);

    const timer = setInterval(() => {
        for (const { computer, route } of agents) {
            computer
                .sleepIfIdle()
                .then((slept) => slept && log(`waker: ${route.name} idled ${route.idleAfterSeconds} s: asleep`))
                .catch((error) => log(`waker: putting ${route.name} to sleep failed: ${error.message}`));
        }
    }, checkMs);

    const stop = () => {
        clearInterval(timer);
        metricsServer.close();
        // Requests in flight finish (a held wake completes); new connections are refused.
        waker.close(() => process.exit(0));
        waker.closeIdleConnections();
    };
    process.once("SIGTERM", stop);
    process.once("SIGINT", stop);
}

main().catch((error) => {
    log(error instanceof Error ? error.message : String(error));
    process.exit(1);
});
