import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { isInitializeRequest } from "@modelcontextprotocol/sdk/types.js";
import type { TokenFile } from "../auth.js";
import { log } from "../log.js";
import type { Metrics } from "../metrics.js";
import type { JobControl } from "./admin.js";
import { handleAdmin } from "./admin.js";
import { HealthState } from "./health.js";
import { announcesTooLargeBody, BodyTooLargeError, readJsonBody } from "./request-body.js";
import { jsonRpcError, sendJson } from "./responses.js";
import { SessionStore } from "./sessions.js";

const REFUSED_BODY_DRAIN_MS = 5000;
const KEEP_ALIVE_TIMEOUT_MS = 65_000;

export interface HttpOptions {
  tokenFile: TokenFile | undefined;
  metrics: Metrics;
  jobs: JobControl;
  maxSessions: number;
  sessionIdleMs: number;
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
  const sessions = new SessionStore(options.maxSessions, options.sessionIdleMs);
  const health = new HealthState(options.tokenFile);

  const authorized = async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    if (!options.tokenFile || (await options.tokenFile.accepts(req.headers.authorization))) return true;
    options.metrics.authFailed();
    req.resume();
    sendJson(res, 401, { error: "missing or wrong bearer token" }, { "www-authenticate": 'Bearer realm="mcp"' });
    return false;
  };

  const handleMcp = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (!(await authorized(req, res))) return;
    if (announcesTooLargeBody(req)) {
      refuseBody(req, res, new BodyTooLargeError().message);
      return;
    }
    const sessionId = req.headers["mcp-session-id"];
    if (typeof sessionId === "string") {
      const session = sessions.get(sessionId);
      if (!session) {
        // Per the MCP spec, 404 tells the client its session is gone (restart, idle or evicted): re-initialise.
        jsonRpcError(res, 404, -32001, "Session not found");
        return;
      }
      // A POST (a call) counts until its response closes: in JSON mode the answer is sent after
      // handleRequest returns. A GET is the client's standing notification stream, not work.
      if (req.method === "POST") sessions.track(session, (done) => res.once("close", done));
      else session.lastSeen = Date.now();
      const body = req.method === "POST" ? await readJsonBody(req) : undefined;
      await session.transport.handleRequest(req, res, body);
      return;
    }
    if (req.method !== "POST") {
      jsonRpcError(res, 400, -32000, "Bad Request: Mcp-Session-Id header is required");
      return;
    }
    const body = await readJsonBody(req);
    if (!isInitializeRequest(body)) {
      jsonRpcError(res, 400, -32000, "Bad Request: no session; send an initialize request first");
      return;
    }
    if (!sessions.makeRoom()) {
      jsonRpcError(res, 503, -32000, "every session is busy; retry shortly", { "retry-after": "5" });
      return;
    }
    const server = options.createMcpServer();
    const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      enableJsonResponse: true,
      onsessioninitialized: (id) => {
        sessions.add(id, { transport, server, lastSeen: Date.now(), inFlight: 0 });
      },
      onsessionclosed: (id) => {
        sessions.delete(id);
      },
    });
    transport.onclose = () => {
      if (transport.sessionId) sessions.delete(transport.sessionId);
    };
    await server.connect(transport);
    await transport.handleRequest(req, res, body);
  };

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    const route = async () => {
      if (url.pathname === "/mcp") return handleMcp(req, res);
      if (req.method === "GET" && url.pathname === "/healthz") {
        // Healthy or not, and a general reason: never which tool runs or with what arguments.
        const report = await health.current();
        res.writeHead(report.healthy ? 200 : 503, { "content-type": "text/plain" }).end(report.healthy ? "ok\n" : `${report.reason}\n`);
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
