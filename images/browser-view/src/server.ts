import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Socket } from "node:net";
import type { Duplex } from "node:stream";
import { WebSocketServer } from "ws";
import { bridgeViewer } from "./bridge.js";
import type { Config } from "./config.js";
import { ConnectionGuard } from "./connectionGuard.js";
import { clearSessionCookies, sessionCookieValues, setSessionCookie } from "./cookies.js";
import type { ModeFile } from "./mode.js";
import { SecretFile } from "./mountedFile.js";
import { replayRoutes } from "./replayRoutes.js";
import { type Session, type SessionCheck, Sessions, tokenDigest, tokenMatches } from "./sessions.js";
import { loadAssets } from "./staticAssets.js";

/**
 * HTTP side of the browser view: the login form, the noVNC page and its files, /healthz, and the
 * WebSocket upgrade on /websockify. The session is checked BEFORE the upgrade; a refused request gets a
 * plain HTTP 401/403 and the bridge never opens a connection to the VNC server for it.
 */

const WEBSOCKET_PATH = "/websockify";
const MAX_LOGIN_BODY_BYTES = 4096;
// Viewer-to-server RFB messages are tiny except clipboard text (capped by the RFB filter at 1 MiB).
const MAX_WEBSOCKET_MESSAGE_BYTES = 2 << 20;
// Browsers send each WebSocket message as one frame; ws keeps every fragment of a message until its last
// one arrives, so a message in a million one-byte fragments would hold a million buffers. Past this
// count ws closes the connection (1008).
const MAX_WEBSOCKET_FRAGMENTS = 1024;
const MAX_SESSIONS = 256;
/** How often the token file is looked at for a rotation, and expired or idle sessions are ended. */
const REVOCATION_CHECK_MS = 1000;

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
    sessions: Sessions;
    guard: ConnectionGuard;
    /** Stops the timers (the server itself is closed by the caller). */
    stop: () => void;
}

export function createBrowserView(config: Config, mode: ModeFile, log: (event: object) => void): BrowserView {
    const token = new SecretFile(config.tokenFile, "browser-view token");
    const vncPassword = new SecretFile(config.vncPasswordFile, "VNC password");
    const assets = loadAssets();
    const sessions = new Sessions({
        ttlMs: config.sessionTtlSeconds * 1000,
        idleMs: config.sessionIdleSeconds * 1000,
        maxSessions: MAX_SESSIONS,
        log,
    });
    const guard = new ConnectionGuard({
        max: config.maxUnauthenticated,
        lifetimeMs: config.unauthenticatedSeconds * 1000,
        log,
    });
    const wss = new WebSocketServer({
        noServer: true,
        maxPayload: MAX_WEBSOCKET_MESSAGE_BYTES,
        maxFragments: MAX_WEBSOCKET_FRAGMENTS,
        perMessageDeflate: false,
    });
    let viewers = 0;

    // A rotated token ends every session issued under the old one, and closes their connections.
    let currentDigest: string | undefined;
    const watchToken = async () => {
        const digest = tokenDigest(await token.value());
        if (currentDigest !== undefined && digest !== currentDigest) {
            log({ event: "token-rotated", sessionsEnded: sessions.endOthers(digest) });
        }
        currentDigest = digest;
    };
    void watchToken().catch(() => undefined);
    const tokenTimer = setInterval(() => void watchToken().catch(() => undefined), REVOCATION_CHECK_MS);
    tokenTimer.unref();
    sessions.start(REVOCATION_CHECK_MS);

    /** The session this request's cookies name, checked against the current token. */
    async function session(req: IncomingMessage): Promise<{ check: SessionCheck; value?: string }> {
        let digest: string;
        try {
            digest = tokenDigest(await token.value());
        } catch {
            return { check: { ok: false, reason: "missing" } };
        }
        let failure: SessionCheck = { ok: false, reason: "missing" };
        // Every value is tried: a cookie planted under our name by a sibling cannot shadow the real one.
        for (const value of sessionCookieValues(req, config.agentName)) {
            const check = sessions.check(value, digest);
            if (check.ok) {
                guard.authenticated(req.socket);
                return { check, value };
            }
            if (failure.reason === "missing" || failure.reason === "unknown") failure = check;
        }
        return { check: failure };
    }

    function send(
        res: ServerResponse,
        status: number,
        body: string | Buffer,
        type = "text/plain; charset=utf-8",
        headers: Record<string, string | string[]> = {},
    ) {
        res.writeHead(status, {
            ...SECURITY_HEADERS,
            "Content-Type": type,
            "Content-Length": Buffer.byteLength(body),
            ...headers,
        });
        res.end(body);
    }

    const json = (res: ServerResponse, status: number, body: object) =>
        send(res, status, JSON.stringify(body), "application/json");
    const replay = replayRoutes(config, assets, { send, headers: SECURITY_HEADERS });

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
        if (req.method === "GET" && path === "/activity") {
            // For the waker (sleep on idle): a connected viewer keeps the computer awake. The count alone,
            // unauthenticated; the port admits only the viewers, the ingress controller and the waker.
            return json(res, 200, { viewers });
        }
        if (req.method === "GET" && (path === "/" || path === "/index.html")) {
            const page = (await session(req)).check.ok ? "/viewer.html" : "/login.html";
            return send(res, 200, assets.get(page)!.body, assets.get(page)!.type);
        }
        if (path === "/replay" || path.startsWith("/replay/")) {
            const { check } = await session(req);
            if (check.ok) return replay(req, res, path);
            if (path === "/replay")
                return send(res, 200, assets.get("/login.html")!.body, assets.get("/login.html")!.type);
            return json(res, 401, { error: check.reason });
        }
        if (req.method === "POST" && path === "/login") return login(req, res);
        if (req.method === "POST" && path === "/logout") {
            // Ends the session on the server: its open connections close, and a copy of the cookie is dead.
            for (const value of sessionCookieValues(req, config.agentName)) sessions.endByValue(value, "logout");
            return send(res, 303, "", undefined, {
                Location: "./",
                "Set-Cookie": clearSessionCookies(req, config.agentName),
            });
        }
        if (req.method === "GET" && path === "/session") {
            const { check } = await session(req);
            if (!check.ok) return json(res, 401, { error: check.reason });
            return json(res, 200, {
                mode: mode.current(),
                expiresAt: Math.floor(check.session.expiresAt / 1000),
                idleTimeoutSeconds: config.sessionIdleSeconds,
                recording: config.recording !== undefined,
            });
        }
        if (req.method === "POST" && path === "/activity") {
            // The page reports a person at it (pointer, keys, wheel): the idle clock restarts.
            const { check } = await session(req);
            if (!check.ok) return json(res, 401, { error: check.reason });
            sessions.touch(check.session);
            res.writeHead(204, SECURITY_HEADERS).end();
            return;
        }
        const asset =
            req.method === "GET" && !["/viewer.html", "/login.html", "/replay.html"].includes(path)
                ? assets.get(path)
                : undefined;
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
        const form = new URLSearchParams(body);
        const submitted = form.get("token") ?? "";
        // Back to the page the login form was shown for; only our own pages (no open redirect). Relative, as
        // every URL of the pages: the view is also served under a prefix (the waker's /agents/<agent>/view/).
        const next = form.get("next") === "/replay" ? "replay" : "./";
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
        guard.authenticated(req.socket);
        const issued = sessions.issue(tokenDigest(current));
        log({ event: "login", from: req.socket.remoteAddress, expiresAt: issued.session.expiresAt });
        return send(res, 303, "", undefined, {
            Location: next,
            "Set-Cookie": setSessionCookie(req, config.agentName, issued.value, config.sessionTtlSeconds),
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
        const { check } = await session(req);
        if (!check.ok) return refuse(401, "Unauthorized");
        if (viewers >= config.maxViewers) return refuse(503, "Service Unavailable");
        const held: Session = check.session;
        wss.handleUpgrade(req, socket, head, (ws) => {
            viewers++;
            ws.once("close", () => viewers--);
            const viewer = `${req.socket.remoteAddress}:${req.socket.remotePort}`;
            void bridgeViewer(ws, viewer, {
                vncHost: config.vncHost,
                vncPort: config.vncPort,
                vncPassword: () => vncPassword.value(),
                mode,
                session: {
                    valid: () => sessions.alive(held),
                    active: () => sessions.touch(held),
                    onEnd: (close) => {
                        held.connections.add(close);
                        return () => held.connections.delete(close);
                    },
                },
                pingIntervalMs: config.viewerPingSeconds * 1000,
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
    server.on("connection", (socket: Socket) => guard.admit(socket));
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
    return {
        server,
        viewers: () => viewers,
        sessions,
        guard,
        stop: () => {
            clearInterval(tokenTimer);
            sessions.stop();
        },
    };
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
