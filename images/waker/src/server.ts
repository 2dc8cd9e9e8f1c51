/**
 * The waker's front: `/agents/<agent>/<server>/<path>` is checked (the agent's own bearer token, so one
 * agent's runtime cannot wake another's computer), held while the computer wakes, then proxied to the
 * computer's Service unchanged (headers, body, streamed answers). A refused or failed request gets an
 * error a person can act on, as a JSON-RPC error (what an MCP client prints) with the HTTP status.
 * `/agents/<agent>/view/<path>` is the agent's browser view (view.ts): no bearer token there, a visit wakes.
 * A request whose Host is an agent's view host (its Ingress, platform.browserView.host) is that view's, at
 * the root: through the Ingress only the view is reached, never an MCP route.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { type Duplex, Readable } from "node:stream";
import { createProxyServer } from "http-proxy-3";
import type { ComputerApi } from "./cluster.js";
import { type Computer, wakeOrExplain } from "./computer.js";
import { AgentDiscovery, type Classified, classify, resultOf } from "./discovery.js";
import { type AgentRoute, SERVER_NAMES, type ServerName } from "./routes.js";
import { createViewProxy } from "./view.js";

export interface WakerAgent {
    route: AgentRoute;
    computer: Computer;
    api: Pick<ComputerApi, "token" | "saveDiscovery">;
    /** The answers saved on the Deployment (read at start); without it the waker starts with none. */
    discovery?: AgentDiscovery;
}

/** Re-reads the Secret when a presented token does not match (rotation), at most once a second. */
class TokenCheck {
    private digest: Buffer | undefined;
    private readAt = 0;

    constructor(private readonly read: () => Promise<string>) {}

    async accepts(presented: string): Promise<boolean> {
        const wanted = sha256(presented);
        if (this.digest && timingSafeEqual(wanted, this.digest)) {
            return true;
        }
        if (Date.now() - this.readAt >= 1000) {
            this.readAt = Date.now();
            this.digest = sha256(await this.read());
            return timingSafeEqual(wanted, this.digest);
        }
        return false;
    }
}

function sha256(text: string): Buffer {
    return createHash("sha256").update(text).digest();
}

type Discovery = Extract<Classified, { kind: "discovery" }>;

const ROUTE = /^\/agents\/([a-z][a-z0-9-]*)\/([a-z-]+)(\/[^?]*)?(\?.*)?$/;

/** Above this a request body is refused (413): the largest tool call (edit_file's text) stays far below. */
const MAX_BODY_BYTES = 64 * 1024 * 1024;

export function createWaker(agents: WakerAgent[], log: (line: string) => void): Server {
    const byName = new Map(
        agents.map((agent) => [
            agent.route.name,
            {
                ...agent,
                tokens: new TokenCheck(() => agent.api.token()),
                discovery: agent.discovery ?? new AgentDiscovery((text) => agent.api.saveDiscovery(text), log),
            },
        ]),
    );
    // Work streams through as it comes; discovery answers are read whole, remembered, then sent on.
    const streaming = createProxyServer({ xfwd: false, proxyTimeout: 0 });
    const remembering = createProxyServer({ xfwd: false, selfHandleResponse: true });
    const forwardedDiscovery = new WeakMap<IncomingMessage, [AgentDiscovery, ServerName, Discovery]>();
    const view = createViewProxy(log);
    const byViewHost = new Map(
        [...byName.values()].flatMap((agent) => (agent.route.view?.host ? [[agent.route.view.host, agent]] : [])),
    );
    /** The agent whose view host the request names (the Host header, without its port), if any. */
    const viewedAt = (request: IncomingMessage) =>
        byViewHost.size === 0
            ? undefined
            : byViewHost.get((request.headers.host ?? "").replace(/:\d+$/, "").toLowerCase());

    const server = createServer(async (request: IncomingMessage, response: ServerResponse) => {
        const viewed = viewedAt(request);
        if (viewed) {
            await view.web(viewed, request, response, request.url ?? "/");
            return;
        }
        if (request.url === "/healthz") {
            response.writeHead(200, { "content-type": "text/plain" }).end("ok\n");
            return;
        }
        const match = ROUTE.exec(request.url ?? "");
        const agent = match ? byName.get(match[1]) : undefined;
        if (!match || !agent) {
            refuse(
                response,
                404,
                `no such route: the waker serves /agents/<agent>/<server>/… and /agents/<agent>/view/, agents: ${[...byName.keys()].join(", ") || "none"}`,
            );
            return;
        }
        if (match[2] === "view") {
            await view.web(agent, request, response, `${match[3] ?? ""}${match[4] ?? ""}`);
            return;
        }
        const serverName = match[2] as ServerName;
        const target = SERVER_NAMES.includes(serverName) ? agent.route.servers[serverName] : undefined;
        if (!target) {
            refuse(
                response,
                404,
                `agent ${agent.route.name} has no server ${match[2]} (it has: ${Object.keys(agent.route.servers).join(", ")})`,
            );
            return;
        }
        const presented = /^Bearer\s+(.+)$/i.exec(request.headers.authorization ?? "")?.[1]?.trim();
        let allowed = false;
        try {
            allowed = presented !== undefined && (await agent.tokens.accepts(presented));
        } catch (error) {
            log(`waker: cannot read ${agent.route.name}'s token: ${(error as Error).message}`);
            refuse(response, 503, `the waker cannot read agent ${agent.route.name}'s token; see the waker's log`);
            return;
        }
        if (!allowed) {
            response.setHeader("www-authenticate", 'Bearer realm="persistent-agents"');
            refuse(response, 401, "missing or wrong bearer token");
            return;
        }
        const body = await readBody(request, MAX_BODY_BYTES);
        if (body === undefined) {
            refuse(response, 413, `request body over ${MAX_BODY_BYTES / 1024 / 1024} MiB`);
            return;
        }
        if (request.method !== "POST") {
            // A client's GET (a standalone event stream) or DELETE (a session's end) asks for no work: both
            // servers are stateless and refuse them, so a sleeping computer is not woken to say so.
            if (agent.computer.asleep) {
                response.setHeader("allow", "POST");
                refuse(response, 405, "Method not allowed: this server is stateless, use POST");
                return;
            }
            request.url = `${match[3] ?? "/"}${match[4] ?? ""}`;
            streaming.web(request, response, { target: target.url, buffer: Readable.from([body]) }, (error) =>
                refuse(
                    response,
                    502,
                    `agent ${agent.route.name}'s ${serverName} server did not answer: ${error.message}`,
                ),
            );
            return;
        }
        const asked = classify(body, header(request, "mcp-protocol-version"));
        const cache = agent.discovery.cache(serverName);
        request.url = `${match[3] ?? "/"}${match[4] ?? ""}`;
        const forward = { target: target.url, buffer: Readable.from([body]) };
        const failed = (error: Error) => {
            agent.computer.unreachable();
            log(`waker: ${agent.route.name}/${serverName}: ${error.message}`);
            refuse(response, 502, `agent ${agent.route.name}'s ${serverName} server did not answer: ${error.message}`);
        };

        if (asked.kind === "discovery") {
            const remembered = agent.computer.asleep ? cache.answer(asked) : undefined;
            if (remembered !== undefined) {
                // Asleep: answered from memory, the computer left asleep, and no activity counted.
                if (remembered === "") response.writeHead(202).end();
                else response.writeHead(200, { "content-type": "application/json" }).end(remembered);
                return;
            }
            if (!(await holdUntilAwake(agent.computer, response, log, agent.route.name))) {
                return;
            }
            forwardedDiscovery.set(request, [agent.discovery, serverName, asked]);
            remembering.web(request, response, forward, failed);
            return;
        }
        const done = agent.computer.begin();
        response.once("close", done);
        if (!(await holdUntilAwake(agent.computer, response, log, agent.route.name))) {
            done();
            return;
        }
        streaming.web(request, response, forward, failed);
    });

    // A discovery answer: remembered by the request it answers, then sent on as it came.
    remembering.on("proxyRes", (upstream, request, response) => {
        const chunks: Buffer[] = [];
        upstream.on("data", (chunk: Buffer) => chunks.push(chunk));
        upstream.on("end", () => {
            const text = Buffer.concat(chunks);
            const match = forwardedDiscovery.get(request);
            if (match && upstream.statusCode === 200) {
                const [discovery, serverName, asked] = match;
                const result = resultOf(upstream.headers["content-type"], text.toString("utf8"));
                const single = asked.requests.filter((r) => r.key !== undefined);
                if (result !== undefined && single.length === 1) {
                    discovery.remember(serverName, single[0].key as string, result);
                }
            }
            response.writeHead(upstream.statusCode ?? 502, upstream.headers).end(text);
        });
    });
    // WebSockets: only a browser view's viewers (MCP is plain POSTs).
    server.on("upgrade", (request: IncomingMessage, socket: Duplex, head: Buffer) => {
        const viewed = viewedAt(request);
        if (viewed) {
            void view.upgrade(viewed, request, socket, head, request.url ?? "/");
            return;
        }
        const match = ROUTE.exec(request.url ?? "");
        const agent = match ? byName.get(match[1]) : undefined;
        if (!match || !agent || match[2] !== "view") {
            socket.end("HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
            return;
        }
        void view.upgrade(agent, request, socket, head, `${match[3] ?? "/"}${match[4] ?? ""}`);
    });
    server.on("close", () => {
        streaming.close();
        remembering.close();
        view.close();
    });
    return server;
}

/** Holds the request until the computer is awake; false (the response sent) when it cannot be woken. */
async function holdUntilAwake(
    computer: Computer,
    response: ServerResponse,
    log: (line: string) => void,
    agent: string,
): Promise<boolean> {
    const why = await wakeOrExplain(computer, log, agent);
    if (why === undefined) {
        return true;
    }
    refuse(response, 503, why);
    return false;
}

function header(request: IncomingMessage, name: string): string | undefined {
    const value = request.headers[name];
    return Array.isArray(value) ? value[0] : value;
}

/** The whole body, or undefined (and the rest discarded) once it passes `limit` bytes. */
async function readBody(request: IncomingMessage, limit: number): Promise<Buffer | undefined> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of request) {
        size += (chunk as Buffer).length;
        if (size > limit) {
            request.resume();
            return undefined;
        }
        chunks.push(chunk as Buffer);
    }
    return Buffer.concat(chunks);
}

function refuse(response: ServerResponse, status: number, message: string): void {
    if (response.headersSent) {
        response.end();
        return;
    }
    const body = JSON.stringify({ jsonrpc: "2.0", id: null, error: { code: -32000, message } });
    response.writeHead(status, { "content-type": "application/json" }).end(body);
}
