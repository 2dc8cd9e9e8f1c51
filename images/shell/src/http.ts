import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { isInitializeRequest } from "@modelcontextprotocol/sdk/types.js";
import type { TokenFile } from "./auth.js";
import { log } from "./log.js";
import type { Metrics } from "./metrics.js";

const MAX_BODY_BYTES = 64 * 1024 * 1024;
// Clients that vanish without DELETE (kagent's controller reconnects every minute) must not pile up.
const SESSION_IDLE_MS = 30 * 60 * 1000;
const HEALTH_SPAWN_TIMEOUT_MS = 5000;

interface Session {
  transport: StreamableHTTPServerTransport;
  server: McpServer;
  lastSeen: number;
}

export interface HttpOptions {
  tokenFile: TokenFile | undefined;
  metrics: Metrics;
  createMcpServer: () => McpServer;
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { "content-type": "application/json", ...headers }).end(JSON.stringify(body));
}

function jsonRpcError(res: ServerResponse, status: number, code: number, message: string): void {
  sendJson(res, status, { jsonrpc: "2.0", error: { code, message }, id: null });
}

async function readJsonBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new RangeError(`request body over ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  return JSON.parse(Buffer.concat(chunks).toString("utf8"));
}

/** Healthy means the container can still fork and exec (no pid or memory exhaustion). */
function canSpawn(): Promise<boolean> {
  return new Promise((resolve) => {
    const child = spawn("true", { stdio: "ignore" });
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      resolve(false);
    }, HEALTH_SPAWN_TIMEOUT_MS);
    child.on("error", () => {
      clearTimeout(timer);
      resolve(false);
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve(code === 0);
    });
  });
}

export function createHttpServer(options: HttpOptions): Server {
  const sessions = new Map<string, Session>();

  const sweep = setInterval(() => {
    const cutoff = Date.now() - SESSION_IDLE_MS;
    for (const [id, session] of sessions) {
      if (session.lastSeen >= cutoff) continue;
      sessions.delete(id);
      void session.transport.close();
    }
  }, 60_000);
  sweep.unref();

  const handleMcp = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (options.tokenFile && !(await options.tokenFile.accepts(req.headers.authorization))) {
      sendJson(res, 401, { error: "missing or wrong bearer token" }, { "www-authenticate": 'Bearer realm="mcp"' });
      return;
    }
    const sessionId = req.headers["mcp-session-id"];
    if (typeof sessionId === "string") {
      const session = sessions.get(sessionId);
      if (!session) {
        // Per the MCP spec, 404 tells the client its session is gone (e.g. server restart): re-initialise.
        jsonRpcError(res, 404, -32001, "Session not found");
        return;
      }
      session.lastSeen = Date.now();
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
    const server = options.createMcpServer();
    const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      enableJsonResponse: true,
      onsessioninitialized: (id) => {
        sessions.set(id, { transport, server, lastSeen: Date.now() });
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

  return createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    const route = async () => {
      if (url.pathname === "/mcp") return handleMcp(req, res);
      if (req.method === "GET" && url.pathname === "/healthz") {
        const healthy = await canSpawn();
        res.writeHead(healthy ? 200 : 503, { "content-type": "text/plain" }).end(healthy ? "ok\n" : "cannot spawn processes\n");
        return;
      }
      if (req.method === "GET" && url.pathname === "/metrics") {
        res.writeHead(200, { "content-type": "text/plain; version=0.0.4" }).end(options.metrics.render());
        return;
      }
      sendJson(res, 404, { error: `no route for ${req.method} ${url.pathname}` });
    };
    route().catch((error: unknown) => {
      const message = error instanceof Error ? error.message : String(error);
      const status = error instanceof SyntaxError ? 400 : error instanceof RangeError ? 413 : 500;
      if (status === 500) log("error", "http_request_failed", { path: url.pathname, error: message });
      if (!res.headersSent) jsonRpcError(res, status, status === 400 ? -32700 : -32603, message);
      else res.end();
    });
  });
}
