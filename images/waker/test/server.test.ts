import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, test } from "node:test";
import { Computer } from "../src/computer.js";
import type { AgentRoute } from "../src/routes.js";
import { createWaker } from "../src/server.js";
import { FakeActivity, FakeDeployment, RecordedEvents } from "./fakes.js";

/** The computer's shell server: echoes what reached it; `/stream` answers in two chunks. */
let upstream: Server;
let upstreamUrl: string;
const deployment = new FakeDeployment(false);
const activity = new FakeActivity();
const logged: string[] = [];
let waker: Server;
let wakerUrl: string;

function listen(server: Server): Promise<string> {
    return new Promise((resolve) =>
        server.listen(0, "127.0.0.1", () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)),
    );
}

before(async () => {
    upstream = createServer((request, response) => {
        if (request.url === "/stream") {
            response.writeHead(200, { "content-type": "text/event-stream" });
            response.write("data: one\n\n");
            setTimeout(() => response.end("data: two\n\n"), 50);
            return;
        }
        let body = "";
        request.on("data", (chunk) => {
            body += chunk;
        });
        request.on("end", () => {
            response.writeHead(200, { "content-type": "application/json" });
            response.end(
                JSON.stringify({
                    url: request.url,
                    authorization: request.headers.authorization,
                    body,
                    readyWhenServed: deployment.ready,
                }),
            );
        });
    });
    upstreamUrl = await listen(upstream);
    const route: AgentRoute = {
        name: "devbot",
        namespace: "agent-devbot",
        deployment: "devbot-computer",
        idleAfterSeconds: 60,
        wakeTimeoutSeconds: 5,
        token: { secret: "devbot-credentials", key: "mcp-token" },
        servers: { shell: { url: upstreamUrl, health: "/healthz" } },
        jobsMetricsUrl: `${upstreamUrl}/metrics`,
    };
    const policy = { agent: "devbot", idleAfterMs: 60_000, wakeTimeoutMs: 5000 };
    const computer = new Computer(policy, deployment, activity, new RecordedEvents());
    waker = createWaker([{ route, computer, api: deployment }], (line) => logged.push(line));
    wakerUrl = await listen(waker);
});

after(() => {
    waker.close();
    upstream.close();
});

const call = (path: string, token: string | undefined, body = '{"jsonrpc":"2.0","id":1,"method":"tools/list"}') =>
    fetch(`${wakerUrl}${path}`, {
        method: "POST",
        headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body,
    });

test("a wrong or missing token is refused with 401 and wakes nothing", async () => {
    for (const token of [undefined, "token-2", "token-1x"]) {
        const response = await call("/agents/devbot/shell/mcp", token);
        assert.equal(response.status, 401);
        assert.match(response.headers.get("www-authenticate") ?? "", /^Bearer/);
    }
    assert.deepEqual(deployment.scaleCalls, []);
});

test("the agent's token wakes its sleeping computer; the call is held and then proxied unchanged", async () => {
    const body = JSON.stringify({
        jsonrpc: "2.0",
        id: 7,
        method: "tools/call",
        params: { name: "run_command", arguments: { command: "x".repeat(100_000) } },
    });
    const response = await call("/agents/devbot/shell/mcp?session=1", "token-1", body);
    assert.equal(response.status, 200);
    const echoed = (await response.json()) as Record<string, unknown>;
    assert.deepEqual(echoed, { url: "/mcp?session=1", authorization: "Bearer token-1", body, readyWhenServed: 1 });
    assert.deepEqual(deployment.scaleCalls, [1]);
});

test("a streamed answer passes through as it comes, not when it ends", async () => {
    const response = await call("/stream", "token-1");
    assert.equal(response.status, 404, "outside /agents/…");
    const streamed = await call("/agents/devbot/shell/stream", "token-1");
    assert.equal(streamed.headers.get("content-type"), "text/event-stream");
    const reader = (streamed.body as ReadableStream<Uint8Array>).getReader();
    const first = await reader.read();
    assert.equal(new TextDecoder().decode(first.value), "data: one\n\n", "the first event before the second is sent");
    let rest = "";
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
        rest += new TextDecoder().decode(chunk.value);
    }
    assert.equal(rest, "data: two\n\n");
});

test("a rotated token is accepted at once and the old one refused", async () => {
    deployment.tokenValue = "token-rotated";
    await new Promise((resolve) => setTimeout(resolve, 1100)); // the Secret is re-read at most once a second
    assert.equal((await call("/agents/devbot/shell/mcp", "token-rotated")).status, 200);
    assert.equal((await call("/agents/devbot/shell/mcp", "token-1")).status, 401);
});

test("unknown agents and servers get a 404 that names what exists", async () => {
    const agent = await call("/agents/databot/shell/mcp", "token-rotated");
    assert.equal(agent.status, 404);
    assert.match(((await agent.json()) as { error: { message: string } }).error.message, /agents: devbot/);
    const server = await call("/agents/devbot/computer-control/mcp", "token-rotated");
    assert.equal(server.status, 404);
    assert.match(
        ((await server.json()) as { error: { message: string } }).error.message,
        /has no server computer-control \(it has: shell\)/,
    );
});

test("a suspended agent's call gets a 503 JSON-RPC error saying what to do", async () => {
    deployment.suspendedByOperator = true;
    deployment.replicas = 0;
    deployment.ready = 0;
    const response = await call("/agents/devbot/shell/mcp", "token-rotated");
    assert.equal(response.status, 503);
    const { error } = (await response.json()) as { error: { code: number; message: string } };
    assert.match(error.message, /suspended by its operator/);
    deployment.suspendedByOperator = false;
});
