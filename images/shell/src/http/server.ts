import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { toNodeHandler } from "@modelcontextprotocol/node";
import { createMcpHandler, type McpServer } from "@modelcontextprotocol/server";
import type { TokenFile } from "../auth.js";
import { log } from "../log.js";
import type { Metrics } from "../metrics.js";
import type { JobControl } from "./admin.js";
import { handleAdmin } from "./admin.js";
import { HealthState } from "./health.js";
import { announcesTooLargeBody, BodyTooLargeError, readJsonBody } from "./request-body.js";
import { jsonRpcError, sendJson } from "./responses.js";

const REFUSED_BODY_DRAIN_MS = 5000;
const KEEP_ALIVE_TIMEOUT_MS = 65_000;

export interface HttpOptions {
    tokenFile: TokenFile | undefined;
    metrics: Metrics;
    jobs: JobControl;
    /** A fresh MCP server for one request (~0.25 ms: tool definitions and the schema validator are built once). */
    createMcpServer: () => McpServer;
}

/**
 * Answers 413 at once, then lets the rest of the body be read and discarded so that the client gets to
 * read the answer (closing while it still sends makes it see a reset instead); a body still arriving
 * after REFUSED_BODY_DRAIN_MS has its connection dropped.
 */
function refuseBody(req: IncomingMessage, res: ServerResponse, message: string): void {
    jsonRpcError(res, 413, -32600, message);
    req.resume();
    const timer = setTimeout(() => {
        if (!req.complete) req.socket.destroy();
    }, REFUSED_BODY_DRAIN_MS);
    timer.unref();
    req.once("end", () => clearTimeout(timer));
}

export function createHttpServer(options: HttpOptions): Server {
    const health = new HealthState(options.tokenFile);

    const authorized = async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
        if (!options.tokenFile || (await options.tokenFile.accepts(req.headers.authorization))) return true;
        options.metrics.authFailed();
        req.resume();
        sendJson(res, 401, { error: "missing or wrong bearer token" }, { "www-authenticate": 'Bearer realm="mcp"' });
        return false;
    };

    /**
     * Stateless streamable HTTP through the SDK's createMcpHandler: a fresh McpServer per POST, for both
     * protocol eras on the same endpoint: MCP 2026-07-28 (no handshake, `server/discover`, the version
     * and client capabilities in every request's `_meta`) and the 2025 revisions Kagent 0.10's clients
     * speak (2025-03-26, 2025-06-18, 2025-11-25: `initialize` answered by a fresh instance, no session).
     * No session is issued or held, so none can be lost to a restart or an eviction: kagent pools one
     * session per server and never re-initialises after a 404 (kagent-dev/kmcp#108). An Mcp-Session-Id
     * a 2025 client still sends is ignored. 2026-07-28 answers are JSON (no tool emits notifications);
     * the SDK answers 2025 requests as a one-event SSE stream, which 2025 clients must accept.
     */
    const mcpHandler = toNodeHandler(createMcpHandler(options.createMcpServer), {
        onerror: (error) => log("error", "mcp_request_failed", { error: error.message }),
    });
    const handleMcp = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
        if (!(await authorized(req, res))) return;
        if (req.method !== "POST") {
            // No standing notification stream (GET) and no session to end (DELETE).
            req.resume();
            jsonRpcError(res, 405, -32000, "Method not allowed: this server is stateless, use POST", { allow: "POST" });
            return;
        }
        if (announcesTooLargeBody(req)) {
            refuseBody(req, res, new BodyTooLargeError().message);
            return;
        }
        await mcpHandler(req, res, await readJsonBody(req));
    };

    const server = createServer((req, res) => {
        const url = new URL(req.url ?? "/", "http://localhost");
        const route = async () => {
            if (url.pathname === "/mcp") return handleMcp(req, res);
            if (req.method === "GET" && url.pathname === "/healthz") {
                // Healthy or not, and a general reason: never which tool runs or with what arguments.
                const report = await health.current();
                res.writeHead(report.healthy ? 200 : 503, { "content-type": "text/plain" }).end(
                    report.healthy ? "ok\n" : `${report.reason}\n`,
                );
                return;
            }
            if (url.pathname.startsWith("/admin/")) {
                if (!(await authorized(req, res))) return;
                return handleAdmin(req, res, url, options.jobs);
            }
            sendJson(res, 404, { error: `no route for ${req.method} ${url.pathname}` });
        };
        route().catch((error: unknown) => {
            const message = error instanceof Error ? error.message : String(error);
            if (error instanceof BodyTooLargeError && !res.headersSent) {
                refuseBody(req, res, message);
                return;
            }
            const status = error instanceof SyntaxError ? 400 : 500;
            if (status === 500) log("error", "http_request_failed", { path: url.pathname, error: message });
            if (!res.headersSent) jsonRpcError(res, status, status === 400 ? -32700 : -32603, message);
            else res.end();
        });
    });
    // Idle keep-alive connections stay open longer than clients keep them (undici: 4 s, Go: 90 s is
    // closed by the client's own idle timer first in practice): a server closing a socket just as the
    // client reuses it fails that request with "other side closed".
    server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
    server.headersTimeout = KEEP_ALIVE_TIMEOUT_MS + 1000;
    return server;
}
