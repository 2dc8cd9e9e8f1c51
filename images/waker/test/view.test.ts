import assert from "node:assert/strict";
import { createServer, request as httpRequest, type IncomingMessage, type Server } from "node:http";
import type { Socket } from "node:net";
import { after, before, test } from "node:test";
import { Computer } from "../src/computer.js";
import { type AgentRoute, routesSchema } from "../src/routes.js";
import { createWaker } from "../src/server.js";
import { FakeActivity, FakeDeployment, listen, pause, RecordedEvents } from "./fakes.js";

/**
 * The agent's browser view: a page answers with the path, Host and Cookie it got and whether the computer
 * was ready; `/websockify` upgrades and echoes what the viewer sends.
 */
let view: Server;
let deployment: FakeDeployment;
let computer: Computer;
let waker: Server;
let wakerUrl: string;
const IDLE_AFTER_MS = 150;
/** devbot's view host: what its Ingress (platform.browserView.host) sends to the waker. */
const VIEW_HOST = "devbot.desktops.example.com";

before(async () => {
    view = createServer((request, response) => {
        const seen = {
            path: request.url,
            host: request.headers.host,
            cookie: request.headers.cookie,
            readyWhenServed: deployment.ready,
        };
        response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(seen));
    });
    view.on("upgrade", (request: IncomingMessage, socket: Socket) => {
        socket.write(
            `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nX-Path: ${request.url}\r\n\r\n`,
        );
        socket.pipe(socket);
    });
    const viewUrl = await listen(view);
    const route: AgentRoute = {
        name: "devbot",
        namespace: "agent-devbot",
        deployment: "devbot-computer",
        idleAfterSeconds: 60,
        wakeTimeoutSeconds: 5,
        token: { secret: "devbot-credentials", key: "mcp-token" },
        servers: { shell: { url: viewUrl, health: "/healthz" } },
        jobsMetricsUrl: `${viewUrl}/metrics`,
        view: { url: viewUrl, host: VIEW_HOST },
    };
    deployment = new FakeDeployment(false);
    const policy = { agent: "devbot", idleAfterMs: IDLE_AFTER_MS, wakeTimeoutMs: 5000 };
    computer = new Computer(policy, deployment, new FakeActivity(), new RecordedEvents());
    await computer.refresh();
    const withoutView = { ...route, name: "databot", view: undefined };
    const databot = new Computer(
        { ...policy, agent: "databot" },
        new FakeDeployment(true),
        new FakeActivity(),
        new RecordedEvents(),
    );
    waker = createWaker(
        [
            { route, computer, api: deployment },
            { route: withoutView, computer: databot, api: deployment },
        ],
        () => undefined,
    );
    wakerUrl = await listen(waker);
});

after(() => {
    waker.close();
    view.close();
});

async function sleepNow(): Promise<void> {
    if (!computer.asleep) {
        await pause(IDLE_AFTER_MS + 20);
        assert.equal(await computer.sleepIfIdle(), true, "the computer went to sleep");
    }
    deployment.scaleCalls = [];
}

test("a visit to a sleeping computer's view wakes it; the page is served once it is up, unchanged and without a token", async () => {
    await sleepNow();
    const response = await fetch(`${wakerUrl}/agents/devbot/view/replay/index?from=3`, {
        headers: { cookie: "browser_view_devbot=session-1" },
    });
    assert.equal(response.status, 200);
    const seen = (await response.json()) as Record<string, unknown>;
    assert.deepEqual(seen, {
        path: "/replay/index?from=3",
        host: new URL(wakerUrl).host,
        cookie: "browser_view_devbot=session-1",
        readyWhenServed: 1,
    });
    assert.deepEqual(deployment.scaleCalls, [1]);
});

test("the view's folder without its slash is redirected, so the pages' relative URLs resolve", async () => {
    const response = await fetch(`${wakerUrl}/agents/devbot/view?x=1`, { redirect: "manual" });
    assert.equal(response.status, 308);
    assert.equal(response.headers.get("location"), "/agents/devbot/view/?x=1");
});

test("an agent without a browser view gets a 404 saying so", async () => {
    const response = await fetch(`${wakerUrl}/agents/databot/view/`);
    assert.equal(response.status, 404);
    assert.match(await response.text(), /agent databot has no browser view/);
});

/** Opens a WebSocket-style upgrade through the waker; the socket once switched, or the refusal's status. */
function upgrade(
    path: string,
    host?: string,
): Promise<{ socket?: Socket; status?: number; headers?: IncomingMessage["headers"] }> {
    return new Promise((resolve, reject) => {
        const req = httpRequest(`${wakerUrl}${path}`, {
            headers: { connection: "Upgrade", upgrade: "websocket", ...(host ? { host } : {}) },
        });
        req.on("upgrade", (response, socket) => resolve({ socket, headers: response.headers }));
        req.on("response", (response) => {
            resolve({ status: response.statusCode });
            response.resume();
        });
        req.on("error", reject);
        req.end();
    });
}

test("a viewer's WebSocket wakes the computer, reaches the view and keeps the computer awake until it closes", async () => {
    await sleepNow();
    const { socket, headers } = await upgrade("/agents/devbot/view/websockify");
    assert.ok(socket, "the upgrade was refused");
    try {
        assert.equal(headers?.["x-path"], "/websockify");
        assert.deepEqual(deployment.scaleCalls, [1]);
        socket.write("hello");
        const echoed = await new Promise<string>((resolve) => socket.once("data", (data) => resolve(data.toString())));
        assert.equal(echoed, "hello");
        await pause(IDLE_AFTER_MS + 50);
        assert.equal(await computer.sleepIfIdle(), false, "asleep while a viewer was connected");
    } finally {
        socket.destroy();
    }
    await pause(IDLE_AFTER_MS + 50);
    assert.equal(await computer.sleepIfIdle(), true, "awake after the viewer left");
});

test("upgrades anywhere but a view are refused", async () => {
    assert.equal((await upgrade("/agents/devbot/shell/mcp")).status, 404);
    assert.equal((await upgrade("/elsewhere")).status, 404);
});

/** A request as the Ingress sends it: the agent's view host in Host (fetch cannot set Host). */
function throughIngress(
    path: string,
    init: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
        const req = httpRequest(`${wakerUrl}${path}`, {
            method: init.method ?? "GET",
            headers: { host: `${VIEW_HOST}:443`, ...init.headers },
        });
        req.on("response", (response) => {
            const chunks: Buffer[] = [];
            response.on("data", (chunk: Buffer) => chunks.push(chunk));
            response.on("end", () =>
                resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString() }),
            );
        });
        req.on("error", reject);
        req.end(init.body);
    });
}

test("through its Ingress (the view's Host) the view is served at the root, and a visit wakes the computer", async () => {
    await sleepNow();
    const { status, body } = await throughIngress("/?resize=remote");
    assert.equal(status, 200);
    assert.deepEqual(JSON.parse(body), {
        path: "/?resize=remote",
        host: `${VIEW_HOST}:443`,
        readyWhenServed: 1,
    });
    assert.deepEqual(deployment.scaleCalls, [1]);
});

test("through the Ingress only the view is reached: an MCP route's path goes to the view, even with the token", async () => {
    const { status, body } = await throughIngress("/agents/devbot/shell/mcp", {
        method: "POST",
        headers: { authorization: `Bearer ${deployment.tokenValue}`, "content-type": "application/json" },
        body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/call", params: {} }),
    });
    assert.equal(status, 200);
    assert.equal(
        (JSON.parse(body) as { path: string }).path,
        "/agents/devbot/shell/mcp",
        "proxied to the shell server",
    );
});

test("a viewer's WebSocket through the Ingress reaches the view at the root", async () => {
    const { socket, headers } = await upgrade("/websockify", VIEW_HOST);
    assert.ok(socket, "the upgrade was refused");
    socket.destroy();
    assert.equal(headers?.["x-path"], "/websockify");
});

test("two agents with one view host are refused: one origin per agent", () => {
    const agent = (name: string) => ({
        name,
        namespace: `agent-${name}`,
        deployment: `${name}-computer`,
        idleAfterSeconds: 60,
        wakeTimeoutSeconds: 5,
        token: { secret: `${name}-credentials`, key: "mcp-token" },
        servers: {},
        jobsMetricsUrl: "http://computer:9464/metrics",
        view: { url: "http://computer:6080", host: VIEW_HOST },
    });
    const parsed = routesSchema.safeParse({ agents: [agent("devbot"), agent("webbot")] });
    assert.equal(parsed.success, false);
    assert.match(JSON.stringify(parsed.error?.issues), /view hosts must be unique/);
    assert.equal(routesSchema.safeParse({ agents: [agent("devbot")] }).success, true);
});
