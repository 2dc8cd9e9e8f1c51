import assert from "node:assert/strict";
import { mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, beforeEach, describe, it } from "node:test";
import type { AddressInfo } from "node:net";
import { ModeFile } from "../src/mode.js";
import { MountedFile } from "../src/mountedFile.js";
import { createBrowserView, type BrowserView } from "../src/server.js";
import { SESSION_COOKIE, issueSession } from "../src/session.js";
import { FakeVncServer } from "./fakeVncServer.js";
import { ServerProcess } from "./serverProcess.js";
import { RfbViewer, openWebSocket } from "./viewer.js";

const TOKEN = "test-browser-view-token-0123456789abcdef";
const VNC_PASSWORD = "vncpass1";
const KEY_A = Buffer.from([4, 1, 0, 0, 0, 0, 0, 0x61]);
const UPDATE_REQUEST = Buffer.from([3, 1, 0, 0, 0, 0, 0, 64, 0, 48]);

let dir: string;
let vnc: FakeVncServer;
let vncPort: number;
let view: BrowserView;
let mode: ModeFile;
let base: string;
const events: { event: string }[] = [];

function writeInPlace(name: string, content: string) {
    // Like the kubelet: write a new file, then swap it in.
    writeFileSync(join(dir, `.${name}.new`), content);
    renameSync(join(dir, `.${name}.new`), join(dir, name));
}

function http(method: string, path: string, headers: Record<string, string> = {}, body?: string) {
    return new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }>(
        (resolve, reject) => {
            const req = request(`${base}${path}`, { method, headers }, (res) => {
                let text = "";
                res.on("data", (chunk) => (text += chunk));
                res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, body: text }));
            });
            req.on("error", reject);
            req.end(body);
        },
    );
}

async function login(token = TOKEN): Promise<string> {
    const res = await http(
        "POST",
        "/login",
        { "content-type": "application/x-www-form-urlencoded" },
        new URLSearchParams({ token }).toString(),
    );
    assert.equal(res.status, 303);
    return String(res.headers["set-cookie"]).split(";")[0];
}

async function viewer(cookie: string): Promise<RfbViewer> {
    const opened = await openWebSocket(`${base.replace("http", "ws")}/websockify`, { cookie });
    assert.ok(opened.ws, `upgrade refused with ${opened.status}`);
    const rfb = new RfbViewer(opened.ws, opened.early);
    await rfb.handshake(0);
    return rfb;
}

async function until(condition: () => boolean, what: string, timeoutMs = 5000) {
    const deadline = Date.now() + timeoutMs;
    while (!condition()) {
        if (Date.now() > deadline) throw new Error(`${what} not reached`);
        await new Promise((resolve) => setTimeout(resolve, 20));
    }
}

async function setMode(value: string) {
    writeInPlace("mode", value);
    await mode.refresh();
}

describe("browser-view server", () => {
    before(async () => {
        dir = mkdtempSync(join(tmpdir(), "browser-view-"));
        writeInPlace("token", `${TOKEN}\n`);
        writeInPlace("vnc-password", VNC_PASSWORD);
        writeInPlace("mode", "view-only");
        vnc = new FakeVncServer(VNC_PASSWORD);
        vncPort = await vnc.listen();
        mode = new ModeFile(new MountedFile(join(dir, "mode")), (event) => events.push(event as { event: string }));
        await mode.refresh();
        view = createBrowserView(
            {
                host: "127.0.0.1",
                port: 0,
                vncHost: "127.0.0.1",
                vncPort,
                vncPasswordFile: join(dir, "vnc-password"),
                tokenFile: join(dir, "token"),
                modeFile: join(dir, "mode"),
                sessionTtlSeconds: 3600,
                maxViewers: 4,
            },
            mode,
            (event) => events.push(event as { event: string }),
        );
        await new Promise<void>((resolve) => view.server.listen(0, "127.0.0.1", resolve));
        base = `http://127.0.0.1:${(view.server.address() as AddressInfo).port}`;
    });

    after(async () => {
        view.server.closeAllConnections();
        view.server.close();
        await vnc.close();
        rmSync(dir, { recursive: true, force: true });
    });

    beforeEach(async () => {
        writeInPlace("token", TOKEN);
        await setMode("view-only");
    });

    it("answers /healthz without authentication, and 503 while the token file is missing", async () => {
        assert.equal((await http("GET", "/healthz")).status, 200);
        const fresh = createBrowserView(
            {
                host: "127.0.0.1",
                port: 0,
                vncHost: "127.0.0.1",
                vncPort: 1,
                vncPasswordFile: join(dir, "vnc-password"),
                tokenFile: join(dir, "no-such-token"),
                modeFile: undefined,
                sessionTtlSeconds: 60,
                maxViewers: 1,
            },
            mode,
            () => undefined,
        );
        await new Promise<void>((resolve) => fresh.server.listen(0, "127.0.0.1", resolve));
        const port = (fresh.server.address() as AddressInfo).port;
        const status = await new Promise<number>((resolve) =>
            request(`http://127.0.0.1:${port}/healthz`, (res) => {
                res.resume();
                resolve(res.statusCode!);
            }).end(),
        );
        fresh.server.close();
        assert.equal(status, 503);
    });

    it("refuses the WebSocket without, with a wrong, a forged, an expired or a cross-site session, before any VNC connection", async () => {
        const before = vnc.connections;
        const ws = `${base.replace("http", "ws")}/websockify`;
        const expired = issueSession(TOKEN, 60, Date.now() - 3_600_000).value;
        const otherToken = issueSession("some-other-token", 3600).value;
        assert.equal((await openWebSocket(ws)).status, 401);
        assert.equal((await openWebSocket(ws, { cookie: `${SESSION_COOKIE}=${otherToken}` })).status, 401);
        assert.equal((await openWebSocket(ws, { cookie: `${SESSION_COOKIE}=${expired}` })).status, 401);
        assert.equal(
            (await openWebSocket(ws, { cookie: `${SESSION_COOKIE}=v1.9999999999.${"A".repeat(43)}` })).status,
            401,
        );
        const cookie = await login();
        assert.equal((await openWebSocket(ws, { cookie, origin: "https://evil.example" })).status, 403);
        assert.equal((await openWebSocket(`${base.replace("http", "ws")}/other`, { cookie })).status, 404);
        assert.equal(vnc.connections, before, "a refused viewer must not cause a VNC connection");
    });

    it("logs in with the token and sets an HttpOnly, SameSite=Strict cookie, Secure behind TLS", async () => {
        const wrong = await http(
            "POST",
            "/login",
            { "content-type": "application/x-www-form-urlencoded" },
            "token=nope",
        );
        assert.equal(wrong.status, 401);
        assert.equal(wrong.headers["set-cookie"], undefined);
        const plain = await http(
            "POST",
            "/login",
            { "content-type": "application/x-www-form-urlencoded" },
            `token=${TOKEN}`,
        );
        const cookie = String(plain.headers["set-cookie"]);
        assert.match(cookie, /HttpOnly/);
        assert.match(cookie, /SameSite=Strict/);
        assert.doesNotMatch(cookie, /Secure/);
        const tls = await http(
            "POST",
            "/login",
            { "content-type": "application/x-www-form-urlencoded", "x-forwarded-proto": "https" },
            `token=${TOKEN}`,
        );
        assert.match(String(tls.headers["set-cookie"]), /Secure/);
        const page = await http("GET", "/", { cookie: cookie.split(";")[0] });
        assert.match(page.body, /viewer\.js/);
        assert.match((await http("GET", "/")).body, /name="token"/);
        assert.equal((await http("GET", "/session")).status, 401);
        assert.deepEqual(
            JSON.parse((await http("GET", "/session", { cookie: cookie.split(";")[0] })).body).mode,
            "view-only",
        );
    });

    it("hides the VNC password from the viewer and forces a shared session", async () => {
        const rfb = await viewer(await login());
        assert.equal(vnc.sessions.at(-1)!.sharedFlag, 1);
        rfb.ws.close();
    });

    it("drops input in view-only mode and forwards it once the mode file says interactive, without reconnecting", async () => {
        const rfb = await viewer(await login());
        const index = vnc.sessions.length - 1;
        rfb.send(Buffer.concat([KEY_A, UPDATE_REQUEST]));
        await until(() => vnc.received(index).length >= UPDATE_REQUEST.length, "update request");
        assert.deepEqual(vnc.received(index), UPDATE_REQUEST);
        await setMode("interactive\n");
        rfb.send(KEY_A);
        await until(() => vnc.received(index).length >= UPDATE_REQUEST.length + KEY_A.length, "key event");
        assert.deepEqual(vnc.received(index), Buffer.concat([UPDATE_REQUEST, KEY_A]));
        await setMode("interactve"); // a typo falls back to view-only
        rfb.send(Buffer.concat([KEY_A, UPDATE_REQUEST]));
        await until(
            () => vnc.received(index).length >= 2 * UPDATE_REQUEST.length + KEY_A.length,
            "second update request",
        );
        assert.deepEqual(vnc.received(index), Buffer.concat([UPDATE_REQUEST, KEY_A, UPDATE_REQUEST]));
        assert.ok(events.some((e) => e.event === "mode-file-problem"));
        rfb.ws.close();
    });

    it("closes the VNC connection when the viewer leaves", async () => {
        const rfb = await viewer(await login());
        const closedBefore = vnc.closedByClient;
        rfb.ws.terminate();
        await until(() => vnc.closedByClient === closedBefore + 1, "VNC connection closed after the viewer left");
    });

    it("ends sessions when the token is rotated, without a restart", async () => {
        const cookie = await login();
        assert.equal((await http("GET", "/session", { cookie })).status, 200);
        writeInPlace("token", "rotated-token-value");
        assert.equal((await http("GET", "/session", { cookie })).status, 401);
        assert.equal((await openWebSocket(`${base.replace("http", "ws")}/websockify`, { cookie })).status, 401);
        await login("rotated-token-value");
    });

    it("closes only the viewer that sends an unknown RFB message", async () => {
        const cookie = await login();
        const bad = await viewer(cookie);
        const good = await viewer(cookie);
        const goodIndex = vnc.sessions.length - 1;
        bad.send(Buffer.from([99, 0, 0, 0]));
        await until(() => bad.closed, "bad viewer closed");
        good.send(UPDATE_REQUEST);
        await until(() => vnc.received(goodIndex).length === UPDATE_REQUEST.length, "good viewer still served");
        good.ws.close();
    });

    it("survives malformed HTTP, oversized and wrongly typed login bodies", async () => {
        const port = Number(new URL(base).port);
        const raw = await new Promise<string>((resolve) => {
            const socket = connect(port, "127.0.0.1", () => socket.write("GARBAGE \x00\x01 HTTP/9\r\n\r\n"));
            let text = "";
            socket.on("data", (d) => (text += d));
            socket.on("close", () => resolve(text));
            socket.on("error", () => resolve(text));
        });
        assert.match(raw, /400/);
        assert.equal((await http("POST", "/login", { "content-type": "application/json" }, "{}")).status, 415);
        const big = await http(
            "POST",
            "/login",
            { "content-type": "application/x-www-form-urlencoded" },
            `token=${"x".repeat(10_000)}`,
        ).catch(() => ({ status: 413 }));
        assert.equal(big.status, 413);
        assert.equal((await http("GET", "/../../etc/passwd")).status, 404);
        assert.equal((await http("GET", "/healthz")).status, 200);
    });

    it("spends linear time on a clipboard text in one-byte WebSocket frames, and /healthz stays quick", async (t) => {
        // The server as its own process (dist/main.js), so that its CPU time and stalls are its own.
        await setMode("interactive");
        const child = await ServerProcess.start({
            VNC_PORT: String(vncPort),
            VNC_PASSWORD_FILE: join(dir, "vnc-password"),
            BROWSER_VIEW_TOKEN_FILE: join(dir, "token"),
            BROWSER_VIEW_MODE_FILE: join(dir, "mode"),
        });
        try {
            const cookie = String(
                (
                    await child.http(
                        "POST",
                        "/login",
                        { "content-type": "application/x-www-form-urlencoded" },
                        `token=${TOKEN}`,
                    )
                ).headers["set-cookie"],
            ).split(";")[0];
            const opened = await openWebSocket(`${child.base.replace("http", "ws")}/websockify`, { cookie });
            const rfb = new RfbViewer(opened.ws!, opened.early);
            await rfb.handshake(0);
            const index = vnc.sessions.length - 1;
            const text = Buffer.alloc(512 << 10, 0x71);
            const header = Buffer.alloc(8);
            header[0] = 6;
            header.writeUInt32BE(text.length, 4);
            const message = Buffer.concat([header, text, UPDATE_REQUEST]);
            const cpuBefore = child.cpuSeconds();
            const started = Date.now();
            rawFrames(rfb, message, "messages");
            let slowest = 0;
            while (vnc.received(index).length < message.length && Date.now() - started < 20_000) {
                const asked = Date.now();
                const health = await child.http("GET", "/healthz", {}, undefined, 2_000);
                assert.equal(health.status, 200);
                slowest = Math.max(slowest, Date.now() - asked);
                await new Promise((resolve) => setTimeout(resolve, 50));
            }
            const cpu = child.cpuSeconds() - cpuBefore;
            assert.deepEqual(
                vnc.received(index),
                message,
                `the clipboard message did not arrive whole in ${Date.now() - started} ms`,
            );
            t.diagnostic(`server CPU ${cpu.toFixed(2)} s, slowest /healthz ${slowest} ms`);
            // Quadratic: ~21 s of CPU and /healthz stalled for seconds. Linear: well under a second.
            assert.ok(cpu < 5, `512 KiB in one-byte frames cost ${cpu.toFixed(1)} s of CPU`);
            assert.ok(slowest < 1_000, `/healthz took ${slowest} ms meanwhile`);
            rfb.ws.close();
        } finally {
            await child.stop();
        }
    });

    it("closes a viewer whose WebSocket message comes in too many fragments", async () => {
        const rfb = await viewer(await login());
        rawFrames(rfb, Buffer.alloc(100_000, 3), "fragments");
        await until(() => rfb.closed, "viewer closed");
        assert.equal((await http("GET", "/healthz")).status, 200);
    });

    it("keeps serving other viewers while one viewer reads nothing", async () => {
        vnc.floodBytes = 1;
        const cookie = await login();
        const stalled = await viewer(cookie);
        // Stop reading from the stalled viewer's TCP socket: its bridge connection fills up and must pause.
        (stalled.ws as unknown as { _socket: { pause(): void } })._socket.pause();
        const reader = await viewer(cookie);
        vnc.floodBytes = 0;
        reader.countOnly();
        await until(() => reader.counted > 64 * 1024 * 1024, "64 MiB through the reading viewer", 20_000);
        stalled.ws.terminate();
        reader.ws.close();
    });
});

/**
 * Writes `bytes` straight to the viewer's TCP socket as one-byte WebSocket frames, as a hand-made client
 * could: each its own message, or all fragments of one message. Masked with a zero key (payload as is).
 */
function rawFrames(rfb: RfbViewer, bytes: Buffer, as: "messages" | "fragments"): void {
    const frames = Buffer.alloc(bytes.length * 7);
    for (let i = 0; i < bytes.length; i++) {
        const last = i === bytes.length - 1;
        frames[i * 7] = as === "messages" ? 0x82 : i === 0 ? 0x02 : last ? 0x80 : 0x00;
        frames[i * 7 + 1] = 0x81;
        frames[i * 7 + 6] = bytes[i];
    }
    (rfb.ws as unknown as { _socket: { write(data: Buffer): void } })._socket.write(frames);
}
