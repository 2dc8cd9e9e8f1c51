import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import { parseCookie, stringifySetCookie } from "cookie";
import { WebSocketServer } from "ws";
import { bridgeViewer } from "./bridge.js";
import type { Config } from "./config.js";
import type { ModeFile } from "./mode.js";
import { SecretFile } from "./mountedFile.js";
import { SESSION_COOKIE, checkSession, issueSession, tokenMatches, type SessionCheck } from "./session.js";
import { loadAssets } from "./staticAssets.js";

/**
 * HTTP side of the browser view: the login form, the noVNC page and its files, /healthz, and the
 * WebSocket upgrade on /websockify. The session cookie is checked BEFORE the upgrade; a refused request
 * gets a plain HTTP 401/403 and the bridge never opens a connection to the VNC server for it.
 */

export const WEBSOCKET_PATH = "/websockify";
const MAX_LOGIN_BODY_BYTES = 4096;
// Viewer-to-server RFB messages are tiny except clipboard text (capped by the RFB filter at 1 MiB).
const MAX_WEBSOCKET_MESSAGE_BYTES = 2 << 20;
// Browsers send each WebSocket message as one frame; ws keeps every fragment of a message until its last
// one arrives, so a message in a million one-byte fragments would hold a million buffers. Past this
// count ws closes the connection (1008).
const MAX_WEBSOCKET_FRAGMENTS = 1024;

const SECURITY_HEADERS = {
    "Content-Security-Policy":
        "default-src 'self'; img-src 'self' data:; style-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
};

export interface BrowserView {
    server: Server;
    viewers: () => number;
}

export function createBrowserView(config: Config, mode: ModeFile, log: (event: object) => void): BrowserView {
    const token = new SecretFile(config.tokenFile, "browser-view token");
    const vncPassword = new SecretFile(config.vncPasswordFile, "VNC password");
    const assets = loadAssets();
    const wss = new WebSocketServer({
        noServer: true,
        maxPayload: MAX_WEBSOCKET_MESSAGE_BYTES,
        maxFragments: MAX_WEBSOCKET_FRAGMENTS,
        perMessageDeflate: false,
    });
    let viewers = 0;

    async function session(req: IncomingMessage): Promise<SessionCheck> {
        let current: string;
        try {
            current = await token.value();
        } catch {
            return { ok: false, reason: "missing" };
        }
        return checkSession(current, parseCookie(req.headers.cookie ?? "")[SESSION_COOKIE]);
    }

    function send(
        res: ServerResponse,
        status: number,
        body: string | Buffer,
        type = "text/plain; charset=utf-8",
        headers: Record<string, string> = {},
    ) {
        res.writeHead(status, {
            ...SECURITY_HEADERS,
            "Content-Type": type,
            "Content-Length": Buffer.byteLength(body),
            ...headers,
        });
        res.end(body);
    }

    async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
        const path = new URL(req.url ?? "/", "http://browser-view").pathname;
        if (req.method === "GET" && path === "/healthz") {
            // Healthy when a viewer could log in and be bridged: both secrets are readable. VNC itself is
            // the desktop container's probe, and probing it here would open VNC sessions.
            try {
                await Promise.all([token.value(), vncPassword.value()]);
                return send(res, 200, "ok\n");
            } catch {
                return send(res, 503, "unhealthy\n");
            }
        }
        if (req.method === "GET" && (path === "/" || path === "/index.html")) {
            const page = (await session(req)).ok ? "/viewer.html" : "/login.html";
            return send(res, 200, assets.get(page)!.body, assets.get(page)!.type);
        }
        if (req.method === "POST" && path === "/login") return login(req, res);
        if (req.method === "POST" && path === "/logout") {
            return send(res, 303, "", undefined, { Location: "/", "Set-Cookie": cookie(req, "", 0) });
        }
        if (req.method === "GET" && path === "/session") {
            const check = await session(req);
            if (!check.ok) return send(res, 401, JSON.stringify({ error: check.reason }), "application/json");
            return send(
                res,
                200,
                JSON.stringify({ mode: mode.current(), expiresAt: check.expiresAt }),
                "application/json",
            );
        }
        const asset =
            req.method === "GET" && path !== "/viewer.html" && path !== "/login.html" ? assets.get(path) : undefined;
        if (asset) return send(res, 200, asset.body, asset.type, { "Cache-Control": "public, max-age=3600" });
        return send(
            res,
            req.method === "GET" ? 404 : 405,
            req.method === "GET" ? "not found\n" : "method not allowed\n",
        );
    }

    async function login(req: IncomingMessage, res: ServerResponse): Promise<void> {
        const type = req.headers["content-type"] ?? "";
        if (!type.startsWith("application/x-www-form-urlencoded")) {
            return send(res, 415, "send the form as application/x-www-form-urlencoded\n");
        }
        const body = await readBody(req, MAX_LOGIN_BODY_BYTES);
        if (body === undefined) return send(res, 413, "login form too large\n");
        const submitted = new URLSearchParams(body).get("token") ?? "";
        let current: string;
        try {
            current = await token.value();
        } catch (error) {
            log({ event: "login-unavailable", error: (error as Error).message });
            return send(res, 503, "the browser view has no token yet\n");
        }
        if (!submitted || !tokenMatches(submitted, current)) {
            log({ event: "login-refused", from: req.socket.remoteAddress });
            return send(res, 401, assets.get("/login.html")!.body, assets.get("/login.html")!.type, {
                "X-Login-Error": "wrong token",
            });
        }
        const issued = issueSession(current, config.sessionTtlSeconds);
        log({ event: "login", from: req.socket.remoteAddress, expiresAt: issued.expiresAt });
        return send(res, 303, "", undefined, {
            Location: "/",
            "Set-Cookie": cookie(req, issued.value, config.sessionTtlSeconds),
        });
    }

    async function upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
        socket.on("error", () => socket.destroy());
        const refuse = (status: number, reason: string) => {
            log({ event: "upgrade-refused", status, reason, from: req.socket.remoteAddress });
            socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
        };
        const path = new URL(req.url ?? "/", "http://browser-view").pathname;
        if (path !== WEBSOCKET_PATH) return refuse(404, "Not Found");
        if (!sameOrigin(req)) return refuse(403, "Forbidden");
        const check = await session(req);
        if (!check.ok) return refuse(401, "Unauthorized");
        if (viewers >= config.maxViewers) return refuse(503, "Service Unavailable");
        wss.handleUpgrade(req, socket, head, (ws) => {
            viewers++;
            ws.once("close", () => viewers--);
            const viewer = `${req.socket.remoteAddress}:${req.socket.remotePort}`;
            void bridgeViewer(ws, viewer, {
                vncHost: config.vncHost,
                vncPort: config.vncPort,
                vncPassword: () => vncPassword.value(),
                mode: () => mode.current(),
                log,
            });
        });
    }

    const server = createServer((req, res) => {
        handle(req, res).catch((error) => {
            log({ event: "request-failed", error: (error as Error).message });
            if (!res.headersSent) send(res, 500, "internal error\n");
            else res.destroy();
        });
    });
    server.on("upgrade", (req, socket, head) => {
        upgrade(req, socket, head).catch((error) => {
            log({ event: "upgrade-failed", error: (error as Error).message });
            socket.destroy();
        });
    });
    server.on("clientError", (_error, socket) => {
        if (socket.writable) socket.end("HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n");
        else socket.destroy();
    });
    return { server, viewers: () => viewers };
}

/** Secure when the browser reached us over TLS, directly or through the ingress (X-Forwarded-Proto). */
function cookie(req: IncomingMessage, value: string, maxAgeSeconds: number): string {
    const forwardedProto = String(req.headers["x-forwarded-proto"] ?? "")
        .split(",")[0]
        .trim();
    const tls = (req.socket as { encrypted?: boolean }).encrypted === true || forwardedProto === "https";
    return stringifySetCookie({
        name: SESSION_COOKIE,
        value,
        httpOnly: true,
        secure: tls,
        sameSite: "strict",
        path: "/",
        maxAge: maxAgeSeconds,
    });
}

/** Cross-site WebSocket hijacking guard: a browser's Origin must name the host it connects to. */
function sameOrigin(req: IncomingMessage): boolean {
    const origin = req.headers.origin;
    if (!origin) return true; // not a browser; the session cookie is still required
    const host = String(req.headers["x-forwarded-host"] ?? req.headers.host ?? "")
        .split(",")[0]
        .trim();
    try {
        return new URL(origin).host === host;
    } catch {
        return false;
    }
}

function readBody(req: IncomingMessage, limit: number): Promise<string | undefined> {
    return new Promise((resolve, reject) => {
        const chunks: Buffer[] = [];
        let size = 0;
        req.on("data", (chunk: Buffer) => {
            size += chunk.length;
            if (size > limit) {
                resolve(undefined);
                req.destroy();
                return;
            }
            chunks.push(chunk);
        });
        req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
        req.on("error", reject);
    });
}
