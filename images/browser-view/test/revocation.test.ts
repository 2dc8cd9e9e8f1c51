import assert from "node:assert/strict";
import { connect, type Socket } from "node:net";
import { after, afterEach, before, describe, it } from "node:test";
import { AGENT, FORM, KEY_A, TOKEN, UPDATE_REQUEST, until, ViewHarness } from "./harness.js";
import { openWebSocket } from "./viewer.js";

/** Revocation reaches sessions that are already open: token rotation, logout, expiry, idleness, silence. */
describe("browser-view revocation of live sessions", () => {
    const harnesses: ViewHarness[] = [];
    const start = async (...args: Parameters<typeof ViewHarness.start>) => {
        const h = await ViewHarness.start(...args);
        harnesses.push(h);
        return h;
    };
    afterEach(async () => {
        for (const h of harnesses.splice(0)) await h.stop();
    });

    it("closes open viewers within seconds of a token rotation and forwards none of their frames after it", async () => {
        const h = await start();
        await h.setMode("interactive");
        const cookie = await h.login();
        const rfb = await h.viewer(cookie);
        const index = h.vnc.sessions.length - 1;
        rfb.send(UPDATE_REQUEST);
        await until(() => h.vnc.received(index).length === UPDATE_REQUEST.length, "update request");
        const rotated = Date.now();
        h.write("token", "the-rotated-token-0123456789");
        await until(() => rfb.closed, "viewer closed after the rotation", 3_000);
        const took = Date.now() - rotated;
        rfb.send(KEY_A); // too late: the connection is gone
        await new Promise((resolve) => setTimeout(resolve, 200));
        assert.deepEqual(h.vnc.received(index), UPDATE_REQUEST);
        assert.ok(took < 2_500, `closed ${took} ms after the rotation`);
        assert.ok(h.events.some((e) => e.event === "token-rotated" && e.sessionsEnded === 1));
        assert.deepEqual(JSON.parse((await h.http("GET", "/session", { cookie })).body), { error: "token-rotated" });
        await h.login("the-rotated-token-0123456789");
    });

    it("logout ends the session's open connections at once, a copy of its cookie included, and no other session", async () => {
        const h = await start();
        const cookie = await h.login();
        const other = await h.login();
        const first = await h.viewer(cookie);
        const copy = await h.viewer(cookie); // the same cookie used from elsewhere
        const unrelated = await h.viewer(other);
        const res = await h.http("POST", "/logout", { cookie });
        assert.equal(res.status, 303);
        assert.match(String(res.headers["set-cookie"]), new RegExp(`^browser_view_${AGENT}=;.*Max-Age=0`));
        await until(() => first.closed && copy.closed, "both connections of the session closed", 1_000);
        assert.equal((await h.http("GET", "/session", { cookie })).status, 401);
        assert.equal((await h.http("GET", "/session", { cookie: other })).status, 200);
        assert.equal(unrelated.closed, false);
        unrelated.ws.close();
    });

    it("closes an open viewer when its session expires", async () => {
        const h = await start({ sessionTtlSeconds: 2 });
        const cookie = await h.login();
        const rfb = await h.viewer(cookie);
        const opened = Date.now();
        await until(() => rfb.closed, "viewer closed at expiry", 5_000);
        assert.ok(Date.now() - opened < 3_500);
        assert.deepEqual(JSON.parse((await h.http("GET", "/session", { cookie })).body), { error: "expired" });
    });

    it("ends idle sessions; the page's activity reports and a viewer's input keep a session", async () => {
        const h = await start({ sessionIdleSeconds: 2 });
        await h.setMode("interactive");
        const idle = await h.viewer(await h.login());
        const reportingCookie = await h.login();
        const reporting = await h.viewer(reportingCookie);
        const typing = await h.viewer(await h.login());
        const started = Date.now();
        while (Date.now() - started < 4_000) {
            assert.equal((await h.http("POST", "/activity", { cookie: reportingCookie })).status, 204);
            typing.send(KEY_A);
            await new Promise((resolve) => setTimeout(resolve, 400));
        }
        assert.equal(idle.closed, true, "an idle viewer was kept");
        assert.equal(reporting.closed, false, "a viewer whose page reports activity was closed");
        assert.equal(typing.closed, false, "a typing viewer was closed");
        assert.ok(h.events.some((e) => e.event === "session-ended" && e.reason === "idle"));
        reporting.ws.close();
        typing.ws.close();
    });

    it("refuses a frame of a session that ended by time before the sweep noticed", async () => {
        const h = await start({ sessionIdleSeconds: 1 });
        h.view.sessions.stop(); // no sweep: only the per-frame check stands between the key and the desktop
        await h.setMode("interactive");
        const rfb = await h.viewer(await h.login());
        const index = h.vnc.sessions.length - 1;
        await new Promise((resolve) => setTimeout(resolve, 1_200));
        rfb.send(KEY_A);
        await until(() => rfb.closed, "viewer closed at its next frame");
        assert.deepEqual(h.vnc.received(index), Buffer.alloc(0));
    });

    it("closes a viewer that answers no ping, freeing its slot", async () => {
        const h = await start({ viewerPingSeconds: 1, maxViewers: 1 });
        const cookie = await h.login();
        const silent = await h.viewer(cookie);
        // Its browser went away without closing: nothing is read from the socket, so no pong comes back.
        (silent.ws as unknown as { _socket: Socket })._socket.pause();
        assert.equal((await openWebSocket(h.wsUrl, { cookie })).status, 503);
        await until(
            () => h.events.some((e) => e.event === "viewer-closed" && e.why === "viewer-silent"),
            "silent viewer closed",
            4_000,
        );
        const next = await h.viewer(cookie);
        next.send(UPDATE_REQUEST);
        next.ws.close();
        silent.ws.terminate();
    });
});

describe("browser-view cookies per agent", () => {
    let alpha: ViewHarness;
    let beta: ViewHarness;
    before(async () => {
        alpha = await ViewHarness.start({ agentName: "alpha" });
        beta = await ViewHarness.start({ agentName: "beta" });
    });
    after(async () => {
        await alpha.stop();
        await beta.stop();
    });

    it("keeps one session per agent on one host: logging into or out of one never logs out of the other", async () => {
        // One cookie jar for 127.0.0.1 (cookies ignore ports): the browser sends both cookies to both views.
        const a = await alpha.login();
        const b = await beta.login();
        assert.match(a, /^browser_view_alpha=/);
        assert.match(b, /^browser_view_beta=/);
        const jar = `${a}; ${b}`;
        const viewer = await alpha.viewer(jar);
        assert.equal((await beta.http("GET", "/session", { cookie: jar })).status, 200);
        const out = await beta.http("POST", "/logout", { cookie: jar });
        assert.doesNotMatch(String(out.headers["set-cookie"]), /alpha/);
        assert.equal((await beta.http("GET", "/session", { cookie: jar })).status, 401);
        assert.equal((await alpha.http("GET", "/session", { cookie: jar })).status, 200);
        await new Promise((resolve) => setTimeout(resolve, 300));
        assert.equal(viewer.closed, false);
        viewer.ws.close();
    });

    it("names the cookie __Host- behind TLS (Secure, Path=/, no Domain), and a planted same-named cookie sent first does not shadow it", async () => {
        const tls = await alpha.http("POST", "/login", { ...FORM, "x-forwarded-proto": "https" }, `token=${TOKEN}`);
        const setCookie = String(tls.headers["set-cookie"]);
        assert.match(setCookie, /^__Host-browser_view_alpha=[A-Za-z0-9_-]{43};/);
        assert.match(setCookie, /; Path=\/(;|$)/);
        assert.match(setCookie, /; Secure/);
        assert.doesNotMatch(setCookie, /Domain/i);
        const real = setCookie.split(";")[0];
        const planted = `__Host-browser_view_alpha=${"P".repeat(43)}; browser_view_alpha=${"Q".repeat(43)}`;
        assert.equal((await alpha.http("GET", "/session", { cookie: `${planted}; ${real}` })).status, 200);
        const opened = await openWebSocket(alpha.wsUrl, { cookie: `${planted}; ${real}` });
        assert.ok(opened.ws);
        opened.ws.close();
    });
});

describe("browser-view unauthenticated connections", () => {
    let h: ViewHarness;
    after(() => h?.stop());

    const open = (port: number) =>
        new Promise<Socket & { gone?: boolean }>((resolve) => {
            const socket: Socket & { gone?: boolean } = connect(port, "127.0.0.1", () => resolve(socket));
            socket.on("close", () => (socket.gone = true));
            socket.on("error", () => undefined);
        });

    it("caps them (the oldest goes) and ends them after their lifetime; a proven connection stays", async () => {
        h = await ViewHarness.start({ maxUnauthenticated: 3, unauthenticatedSeconds: 2 });
        const port = Number(new URL(h.base).port);
        const cookie = await h.login();
        // A keep-alive connection that proved a session: exempt from the cap and the lifetime.
        const proven = await open(port);
        const provenAnswer = new Promise<string>((resolve) => proven.once("data", (data) => resolve(String(data))));
        proven.write(`GET /session HTTP/1.1\r\nHost: x\r\nCookie: ${cookie}\r\n\r\n`);
        // Proven once answered: opened before that, the others would find it still the oldest unproven.
        assert.match(await provenAnswer, /^HTTP\/1.1 200/);
        const idle = [await open(port), await open(port), await open(port)];
        const slow = await open(port);
        slow.write("GET /healthz HTTP/1.1\r\n"); // slowloris: headers that never end
        await until(() => idle[0].gone === true, "the oldest unauthenticated connection closed to admit a new one");
        assert.equal((await h.http("GET", "/healthz")).status, 200, "a newcomer was not admitted");
        await until(() => [...idle, slow].every((s) => s.gone), "unauthenticated connections closed after 2 s", 4_000);
        assert.equal(proven.gone, undefined, "the proven connection was closed");
        proven.write(`GET /session HTTP/1.1\r\nHost: x\r\nCookie: ${cookie}\r\n\r\n`);
        const answer = await new Promise<string>((resolve) => proven.once("data", (data) => resolve(String(data))));
        assert.match(answer, /^HTTP\/1.1 200/);
        proven.destroy();
        assert.ok(h.events.some((e) => e.event === "unauthenticated-evicted"));
        assert.ok(h.events.some((e) => e.event === "unauthenticated-timeout"));
    });
});
