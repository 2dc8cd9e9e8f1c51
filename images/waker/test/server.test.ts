import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import { after, before, beforeEach, test } from "node:test";
import { Computer } from "../src/computer.js";
import { AgentDiscovery } from "../src/discovery.js";
import type { AgentRoute } from "../src/routes.js";
import { createWaker } from "../src/server.js";
import { FakeActivity, FakeDeployment, listen, pause, RecordedEvents } from "./fakes.js";

/**
 * The computer's shell server: a JSON-RPC request gets its method, the path, the token and the body size
 * back (`tools/list` as an event stream, as the shell server answers); `/stream` answers in two chunks.
 */
let upstream: Server;
let served: string[] = [];
let deployment: FakeDeployment;
let computer: Computer;
let waker: Server;
let wakerUrl: string;
let route: AgentRoute;
const IDLE_AFTER_MS = 150;

before(async () => {
    upstream = createServer((request, response) => {
        if (request.url === "/stream") {
            response.writeHead(200, { "content-type": "text/event-stream" });
            response.write("data: one\n\n");
            setTimeout(() => response.end("data: two\n\n"), 50);
            return;
        }
        const chunks: Buffer[] = [];
        request.on("data", (chunk) => chunks.push(chunk));
        request.on("end", () => {
            const body = Buffer.concat(chunks).toString();
            const message = JSON.parse(body);
            served.push(message.method);
            if (message.id === undefined) {
                response.writeHead(202).end();
                return;
            }
            const result = {
                method: message.method,
                url: request.url,
                authorization: request.headers.authorization,
                bodyBytes: body.length,
                readyWhenServed: deployment.ready,
            };
            const answer = JSON.stringify({ jsonrpc: "2.0", id: message.id, result });
            if (message.method === "tools/list") {
                response
                    .writeHead(200, { "content-type": "text/event-stream" })
                    .end(`event: message\ndata: ${answer}\n\n`);
            } else {
                response.writeHead(200, { "content-type": "application/json" }).end(answer);
            }
        });
    });
    const upstreamUrl = await listen(upstream);
    route = {
        name: "devbot",
        namespace: "agent-devbot",
        deployment: "devbot-computer",
        idleAfterSeconds: 60,
        wakeTimeoutSeconds: 5,
        token: { secret: "devbot-credentials", key: "mcp-token" },
        servers: { shell: { url: upstreamUrl, health: "/healthz" } },
        jobsMetricsUrl: `${upstreamUrl}/metrics`,
    };
    deployment = new FakeDeployment(false);
    const policy = { agent: "devbot", idleAfterMs: IDLE_AFTER_MS, wakeTimeoutMs: 5000 };
    computer = new Computer(policy, deployment, new FakeActivity(), new RecordedEvents());
    await computer.refresh();
    waker = createWaker([{ route, computer, api: deployment }], () => undefined);
    wakerUrl = await listen(waker);
});

after(() => {
    waker.close();
    upstream.close();
});

beforeEach(() => {
    served = [];
    deployment.scaleCalls = [];
});

const rpc = (method: string, id?: number, params: Record<string, unknown> = {}) =>
    JSON.stringify({ jsonrpc: "2.0", ...(id === undefined ? {} : { id }), method, params });

const call = (path: string, token: string | undefined, body: string) =>
    fetch(`${wakerUrl}${path}`, {
        method: "POST",
        headers: {
            "content-type": "application/json",
            accept: "application/json, text/event-stream",
            "mcp-protocol-version": "2025-11-25",
            ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        body,
    });
const shell = (body: string, token = deployment.tokenValue) => call("/agents/devbot/shell/mcp", token, body);

test("a wrong or missing token is refused with 401 and wakes nothing", async () => {
    for (const token of [undefined, "token-2", "token-1x"]) {
        const response = await call("/agents/devbot/shell/mcp", token, rpc("tools/call", 1));
        assert.equal(response.status, 401);
        assert.match(response.headers.get("www-authenticate") ?? "", /^Bearer/);
    }
    assert.deepEqual(deployment.scaleCalls, []);
    assert.deepEqual(served, []);
});

test("asleep, discovery with nothing remembered wakes it once; the answers are remembered", async () => {
    assert.equal(computer.asleep, true);
    const listed = await shell(rpc("tools/list", 1));
    assert.equal(listed.status, 200);
    assert.match(await listed.text(), /"readyWhenServed":1/);
    const initialized = await shell(rpc("initialize", 2, { protocolVersion: "2025-11-25" }));
    assert.equal(initialized.status, 200);
    assert.deepEqual(deployment.scaleCalls, [1]);
    assert.deepEqual(served, ["tools/list", "initialize"]);
});

test("discovery does not keep it awake; asleep, it is answered from memory with the caller's id", async () => {
    await pause(IDLE_AFTER_MS / 2);
    await shell(rpc("tools/list", 3)); // awake: forwarded, and not activity
    await pause(IDLE_AFTER_MS / 2 + 20);
    assert.equal(await computer.sleepIfIdle(), true, "the listing kept the computer awake");
    served = [];
    const listed = await shell(rpc("tools/list", 41));
    assert.equal(listed.status, 200);
    const answer = (await listed.json()) as { id: number; result: { method: string } };
    assert.equal(answer.id, 41);
    assert.equal(answer.result.method, "tools/list");
    const initialized = await shell(rpc("initialize", 42, { protocolVersion: "2025-11-25" }));
    assert.equal(((await initialized.json()) as { id: number }).id, 42);
    assert.equal((await shell(rpc("notifications/initialized"))).status, 202);
    // An SDK client opens a standalone event stream with GET after initializing: refused as the stateless
    // servers refuse it, without waking the computer.
    const stream = await fetch(`${wakerUrl}/agents/devbot/shell/mcp`, {
        headers: { accept: "text/event-stream", authorization: `Bearer ${deployment.tokenValue}` },
    });
    assert.equal(stream.status, 405);
    assert.equal(stream.headers.get("allow"), "POST");
    assert.deepEqual(deployment.scaleCalls, [0], "asleep all along");
    assert.deepEqual(served, [], "nothing reached the computer");
    // A discovery request never answered before (ping) wakes it, once.
    const pinged = await shell(rpc("ping", 44));
    assert.equal(pinged.status, 200);
    assert.deepEqual(deployment.scaleCalls, [0, 1]);
    assert.deepEqual(served, ["ping"]);
    assert.equal(computer.asleep, false);
});

test("a tool call wakes the sleeping computer; it is held, then proxied unchanged", async () => {
    await pause(IDLE_AFTER_MS + 20);
    assert.equal(await computer.sleepIfIdle(), true);
    deployment.scaleCalls = [];
    const big = rpc("tools/call", 7, { name: "run_command", arguments: { command: "x".repeat(100_000) } });
    const response = await call("/agents/devbot/shell/mcp?session=1", deployment.tokenValue, big);
    assert.equal(response.status, 200);
    const { result } = (await response.json()) as { result: Record<string, unknown> };
    assert.deepEqual(result, {
        method: "tools/call",
        url: "/mcp?session=1",
        authorization: `Bearer ${deployment.tokenValue}`,
        bodyBytes: big.length,
        readyWhenServed: 1,
    });
    assert.deepEqual(deployment.scaleCalls, [1]);
});

test("a streamed answer passes through as it comes, not when it ends", async () => {
    const outside = await call("/stream", deployment.tokenValue, rpc("tools/call", 1));
    assert.equal(outside.status, 404, "outside /agents/…");
    const streamed = await call("/agents/devbot/shell/stream", deployment.tokenValue, rpc("tools/call", 1));
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
    const old = deployment.tokenValue;
    deployment.tokenValue = "token-rotated";
    await pause(1100); // the Secret is re-read at most once a second
    assert.equal((await shell(rpc("tools/call", 1))).status, 200);
    assert.equal((await shell(rpc("tools/call", 1), old)).status, 401);
});

test("unknown agents and servers get a 404 that names what exists", async () => {
    const agent = await call("/agents/databot/shell/mcp", deployment.tokenValue, rpc("tools/call", 1));
    assert.equal(agent.status, 404);
    assert.match(((await agent.json()) as { error: { message: string } }).error.message, /agents: devbot/);
    const server = await call("/agents/devbot/computer-control/mcp", deployment.tokenValue, rpc("tools/call", 1));
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
    const response = await shell(rpc("tools/call", 1));
    assert.equal(response.status, 503);
    const { error } = (await response.json()) as { error: { code: number; message: string } };
    assert.match(error.message, /suspended by its operator/);
    assert.deepEqual(deployment.scaleCalls, []);
    deployment.suspendedByOperator = false;
});

test("a restarted waker answers discovery from the answers the last one saved, without waking", async () => {
    await pause(IDLE_AFTER_MS + 20);
    await computer.sleepIfIdle();
    assert.ok(deployment.discovery, "the answers were saved on the Deployment");
    // A new waker process: nothing in memory, the state read back from the Deployment as main.ts does.
    const restarted = new Computer(
        { agent: "devbot", idleAfterMs: IDLE_AFTER_MS, wakeTimeoutMs: 5000 },
        deployment,
        new FakeActivity(),
        new RecordedEvents(),
    );
    const status = await restarted.refresh();
    const discovery = new AgentDiscovery(
        (text) => deployment.saveDiscovery(text),
        () => undefined,
        status.discovery,
    );
    const again = createWaker([{ route, computer: restarted, api: deployment, discovery }], () => undefined);
    const url = await listen(again);
    try {
        deployment.scaleCalls = [];
        served = [];
        const listed = await fetch(`${url}/agents/devbot/shell/mcp`, {
            method: "POST",
            headers: {
                "content-type": "application/json",
                accept: "application/json, text/event-stream",
                "mcp-protocol-version": "2025-11-25",
                authorization: `Bearer ${deployment.tokenValue}`,
            },
            body: rpc("tools/list", 51),
        });
        assert.equal(listed.status, 200);
        assert.equal(((await listed.json()) as { id: number; result: { method: string } }).result.method, "tools/list");
        assert.deepEqual(deployment.scaleCalls, [], "the restarted waker woke the computer to list its tools");
        assert.deepEqual(served, []);
    } finally {
        again.close();
    }
});

test("a call that cannot reach the servers makes the next one check that they answer before it is sent on", async () => {
    const gone = createServer();
    const goneUrl = await listen(gone);
    gone.close(); // nothing listens there any more: a pod whose Service does not route to it yet
    const activity = new FakeActivity();
    const ready = new FakeDeployment(true);
    const policy = { agent: "devbot", idleAfterMs: 60_000, wakeTimeoutMs: 300 };
    const lonely = new Computer(policy, ready, activity, new RecordedEvents());
    const servers = { shell: { url: goneUrl, health: "/healthz" } };
    const front = createWaker([{ route: { ...route, servers }, computer: lonely, api: ready }], () => undefined);
    const frontUrl = await listen(front);
    const post = () =>
        fetch(`${frontUrl}/agents/devbot/shell/mcp`, {
            method: "POST",
            headers: { "content-type": "application/json", authorization: `Bearer ${ready.tokenValue}` },
            body: rpc("tools/call", 1),
        });
    try {
        assert.equal((await post()).status, 502, "the servers said they answer, the call met nothing");
        activity.servingAnswer = false;
        const held = await post();
        assert.equal(held.status, 503, "sent on again without checking the servers answer");
        const { error } = (await held.json()) as { error: { message: string } };
        assert.match(error.message, /waiting for its servers to answer through the Service/);
    } finally {
        front.close();
    }
});
