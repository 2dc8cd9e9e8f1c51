import assert from "node:assert/strict";
import { request } from "node:http";
import type { AddressInfo } from "node:net";
import { connect } from "node:net";
import { join } from "node:path";
import { after, before, beforeEach, describe, it } from "node:test";
import { createBrowserView } from "../src/server.js";
import { AGENT, FORM, KEY_A, TOKEN, UPDATE_REQUEST, until, ViewHarness } from "./harness.js";
import { openWebSocket } from "./viewer.js";

describe("browser-view server", () => {
    let h: ViewHarness;
    before(async () => {
        h = await ViewHarness.start();
    });
    after(() => h.stop());
    beforeEach(async () => {
        h.write("token", TOKEN);
        await h.setMode("view-only");
    });

    it("answers /healthz without authentication, and 503 while the token file is missing", async () => {
        assert.equal((await h.http("GET", "/healthz")).status, 200);
        const fresh = createBrowserView(
            { ...h.config(), vncPort: 1, tokenFile: join(h.dir, "no-such-token"), modeFile: undefined },
            h.mode,
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
        fresh.stop();
        fresh.server.close();
        assert.equal(status, 503);
    });

    it("refuses the WebSocket without, with an unknown, a logged-out, an old token's or a cross-site session, before any VNC connection", async () => {
        const before = h.vnc.connections;
        const ws = h.wsUrl;
        const name = `browser_view_${AGENT}`;
        assert.equal((await openWebSocket(ws)).status, 401);
        assert.equal((await openWebSocket(ws, { cookie: `${name}=${"A".repeat(43)}` })).status, 401);
        const loggedOut = await h.login();
        await h.http("POST", "/logout", { cookie: loggedOut });
        assert.equal((await openWebSocket(ws, { cookie: loggedOut })).status, 401);
        const oldToken = await h.login();
        h.write("token", "another-token-value");
        assert.equal((await openWebSocket(ws, { cookie: oldToken })).status, 401);
        h.write("token", TOKEN);
        assert.equal((await openWebSocket(ws, { cookie: oldToken })).status, 401, "a session outlived its token");
        const cookie = await h.login();
        assert.equal((await openWebSocket(ws, { cookie, origin: "https://evil.example" })).status, 403);
        assert.equal((await openWebSocket(h.wsUrl.replace("/websockify", "/other"), { cookie })).status, 404);
        assert.equal(h.vnc.connections, before, "a refused viewer must not cause a VNC connection");
    });

    it("logs in with the token and sets an HttpOnly, SameSite=Strict cookie, Secure behind TLS", async () => {
        const wrong = await h.http("POST", "/login", FORM, "token=nope");
        assert.equal(wrong.status, 401);
        assert.equal(wrong.headers["set-cookie"], undefined);
        const plain = await h.http("POST", "/login", FORM, `token=${TOKEN}`);
        const cookie = String(plain.headers["set-cookie"]);
        assert.match(cookie, /HttpOnly/);
        assert.match(cookie, /SameSite=Strict/);
        assert.doesNotMatch(cookie, /Secure/);
        const tls = await h.http("POST", "/login", { ...FORM, "x-forwarded-proto": "https" }, `token=${TOKEN}`);
        assert.match(String(tls.headers["set-cookie"]), /Secure/);
        const page = await h.http("GET", "/", { cookie: cookie.split(";")[0] });
        assert.match(page.body, /viewer\.js/);
        assert.match((await h.http("GET", "/")).body, /name="token"/);
        assert.equal((await h.http("GET", "/session")).status, 401);
        assert.deepEqual(
            JSON.parse((await h.http("GET", "/session", { cookie: cookie.split(";")[0] })).body).mode,
            "view-only",
        );
    });

    it("says how many viewers are connected at /activity, without authentication (the waker asks it)", async () => {
        const count = async () => JSON.parse((await h.http("GET", "/activity")).body).viewers;
        const before = await count();
        const rfb = await h.viewer(await h.login());
        assert.equal(await count(), before + 1);
        rfb.ws.close();
        for (let i = 0; i < 50 && (await count()) !== before; i++) await new Promise((r) => setTimeout(r, 20));
        assert.equal(await count(), before);
    });

    it("hides the VNC password from the viewer and forces a shared session", async () => {
        const rfb = await h.viewer(await h.login());
        assert.equal(h.vnc.sessions.at(-1)!.sharedFlag, 1);
        rfb.ws.close();
    });

    it("drops input in view-only mode and forwards it once the mode file says interactive, without reconnecting", async () => {
        const rfb = await h.viewer(await h.login());
        const index = h.vnc.sessions.length - 1;
        rfb.send(Buffer.concat([KEY_A, UPDATE_REQUEST]));
        await until(() => h.vnc.received(index).length >= UPDATE_REQUEST.length, "update request");
        assert.deepEqual(h.vnc.received(index), UPDATE_REQUEST);
        await h.setMode("interactive\n");
        rfb.send(KEY_A);
        await until(() => h.vnc.received(index).length >= UPDATE_REQUEST.length + KEY_A.length, "key event");
        assert.deepEqual(h.vnc.received(index), Buffer.concat([UPDATE_REQUEST, KEY_A]));
        await h.setMode("interactve"); // a typo falls back to view-only (and releases the held key)
        rfb.send(Buffer.concat([KEY_A, UPDATE_REQUEST]));
        const released = Buffer.from(KEY_A);
        released[1] = 0;
        const expected = Buffer.concat([UPDATE_REQUEST, KEY_A, released, UPDATE_REQUEST]);
        await until(() => h.vnc.received(index).length >= expected.length, "second update request");
        assert.deepEqual(h.vnc.received(index), expected);
        assert.ok(h.events.some((e) => e.event === "mode-file-problem"));
        rfb.ws.close();
    });

    it("closes the VNC connection when the viewer leaves", async () => {
        const rfb = await h.viewer(await h.login());
        const closedBefore = h.vnc.closedByClient;
        rfb.ws.terminate();
        await until(() => h.vnc.closedByClient === closedBefore + 1, "VNC connection closed after the viewer left");
    });

    it("ends sessions when the token is rotated, without a restart", async () => {
        const cookie = await h.login();
        assert.equal((await h.http("GET", "/session", { cookie })).status, 200);
        h.write("token", "rotated-token-value");
        assert.equal((await h.http("GET", "/session", { cookie })).status, 401);
        assert.equal((await openWebSocket(`${h.wsUrl.replace("/websockify", "")}/websockify`, { cookie })).status, 401);
        await h.login("rotated-token-value");
    });

    it("closes only the viewer that sends an unknown RFB message", async () => {
        const cookie = await h.login();
        const bad = await h.viewer(cookie);
        const good = await h.viewer(cookie);
        const goodIndex = h.vnc.sessions.length - 1;
        bad.send(Buffer.from([99, 0, 0, 0]));
        await until(() => bad.closed, "bad viewer closed");
        good.send(UPDATE_REQUEST);
        await until(() => h.vnc.received(goodIndex).length === UPDATE_REQUEST.length, "good viewer still served");
        good.ws.close();
    });

    it("survives malformed HTTP, oversized and wrongly typed login bodies", async () => {
        const port = Number(new URL(h.base).port);
        const raw = await new Promise<string>((resolve) => {
            const socket = connect(port, "127.0.0.1", () => socket.write("GARBAGE \x00\x01 HTTP/9\r\n\r\n"));
            let text = "";
            socket.on("data", (d) => (text += d));
            socket.on("close", () => resolve(text));
            socket.on("error", () => resolve(text));
        });
        assert.match(raw, /400/);
        assert.equal((await h.http("POST", "/login", { "content-type": "application/json" }, "{}")).status, 415);
        const big = await h.http("POST", "/login", FORM, `token=${"x".repeat(10_000)}`).catch(() => ({ status: 413 }));
        assert.equal(big.status, 413);
        assert.equal((await h.http("GET", "/../../etc/passwd")).status, 404);
        assert.equal((await h.http("GET", "/healthz")).status, 200);
    });

    it("keeps serving other viewers while one viewer reads nothing", async () => {
        h.vnc.floodBytes = 1;
        const cookie = await h.login();
        const stalled = await h.viewer(cookie);
        // Stop reading from the stalled viewer's TCP socket: its bridge connection fills up and must pause.
        (stalled.ws as unknown as { _socket: { pause(): void } })._socket.pause();
        const reader = await h.viewer(cookie);
        h.vnc.floodBytes = 0;
        reader.countOnly();
        await until(() => reader.counted > 64 * 1024 * 1024, "64 MiB through the reading viewer", 20_000);
        stalled.ws.terminate();
        reader.ws.close();
    });
});
