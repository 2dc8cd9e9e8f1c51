/**
 * The waker's front: `/agents/<agent>/<server>/<path>` is checked (the agent's own bearer token, so one
 * agent's runtime cannot wake another's computer), held while the computer wakes, then proxied to the
 * computer's Service unchanged (headers, body, streamed answers). A refused or failed request gets an
 * error a person can act on, as a JSON-RPC error (what an MCP client prints) with the HTTP status.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createProxyServer } from "http-proxy-3";
import type { ComputerApi } from "./cluster.js";
import { type Computer, SuspendedByOperator, WakeTimeout } from "./computer.js";
import { type AgentRoute, SERVER_NAMES, type ServerName } from "./routes.js";

export interface WakerAgent {
    route: AgentRoute;
    computer: Computer;
    api: Pick<ComputerApi, "token">;
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

const ROUTE = /^\/agents\/([a-z][a-z0-9-]*)\/([a-z-]+)(\/[^?]*)?(\?.*)?$/;

export function createWaker(agents: WakerAgent[], log: (line: string) => void): Server {
    const byName = new Map(
        agents.map((agent) => [agent.route.name, { ...agent, tokens: new TokenCheck(() => agent.api.token()) }]),
    );
    const proxy = createProxyServer({ xfwd: false, proxyTimeout: 0 });

    const server = createServer(async (request: IncomingMessage, response: ServerResponse) => {
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
                `no such route: the waker serves /agents/<agent>/<server>/…, agents: ${[...byName.keys()].join(", ") || "none"}`,
            );
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
        const done = agent.computer.begin();
        response.once("close", done);
        try {
            await agent.computer.awake();
        } catch (error) {
            done();
            if (!(error instanceof SuspendedByOperator || error instanceof WakeTimeout)) {
                log(`waker: waking ${agent.route.name} failed: ${(error as Error).message}`);
            }
            refuse(response, 503, (error as Error).message);
            return;
        }
        request.url = `${match[3] ?? "/"}${match[4] ?? ""}`;
        proxy.web(request, response, { target: target.url }, (error) => {
            log(`waker: ${agent.route.name}/${serverName}: ${error.message}`);
            refuse(response, 502, `agent ${agent.route.name}'s ${serverName} server did not answer: ${error.message}`);
        });
    });
    server.on("close", () => proxy.close());
    return server;
}

function refuse(response: ServerResponse, status: number, message: string): void {
    if (response.headersSent) {
        response.end();
        return;
    }
    const body = JSON.stringify({ jsonrpc: "2.0", id: null, error: { code: -32000, message } });
    response.writeHead(status, { "content-type": "application/json" }).end(body);
}
