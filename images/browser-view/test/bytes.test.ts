import assert from "node:assert/strict";
import { join } from "node:path";
import { after, afterEach, before, beforeEach, describe, it } from "node:test";
import { AGENT, FORM, TOKEN, UPDATE_REQUEST, until, ViewHarness } from "./harness.js";
import { ServerProcess } from "./serverProcess.js";
import { openWebSocket, RfbViewer } from "./viewer.js";

/**
 * What a viewer's bytes cost the server, however they are split. The server runs as its own process, so
 * that its CPU time and stalls are its own, under an address-space cap and a resident-size watchdog
 * (test/serverProcess.ts): should the code regress, the test fails instead of eating the machine.
 */
describe("browser-view bounded work per byte", () => {
    let h: ViewHarness;
    let child: ServerProcess;
    let rfb: RfbViewer;
    before(async () => {
        h = await ViewHarness.start();
    });
    after(() => h.stop());
    beforeEach(async () => {
        await h.setMode("interactive");
        child = await ServerProcess.start({
            AGENT_NAME: AGENT,
            VNC_PORT: String(h.vncPort),
            VNC_PASSWORD_FILE: join(h.dir, "vnc-password"),
            BROWSER_VIEW_TOKEN_FILE: join(h.dir, "token"),
            BROWSER_VIEW_MODE_FILE: join(h.dir, "mode"),
        });
        const login = await child.http("POST", "/login", FORM, `token=${TOKEN}`);
        const cookie = String(login.headers["set-cookie"]).split(";")[0];
        const opened = await openWebSocket(`${child.base.replace("http", "ws")}/websockify`, { cookie });
        rfb = new RfbViewer(opened.ws!, opened.early);
        await rfb.handshake(0);
    });
    afterEach(async () => {
        rfb.ws.terminate();
        await child.stop();
    });

    // Its cost per byte (linear, not quadratic) is measured in bench/browser-view/byte-streams.ts: a test
    // measures behaviour only, as a bound in seconds would fail on a loaded machine.
    it("passes a clipboard text sent in one-byte WebSocket frames whole, /healthz answering meanwhile", async (t) => {
        const index = h.vnc.sessions.length - 1;
        const text = Buffer.alloc(512 << 10, 0x71);
        const header = Buffer.alloc(8);
        header[0] = 6;
        header.writeUInt32BE(text.length, 4);
        const message = Buffer.concat([header, text, UPDATE_REQUEST]);
        const cpuBefore = child.cpuSeconds();
        const started = Date.now();
        rawFrames(rfb, message, "messages");
        let slowest = 0;
        let peakRss = 0;
        while (h.vnc.received(index).length < message.length && Date.now() - started < 20_000) {
            const asked = Date.now();
            const health = await child.http("GET", "/healthz", {}, undefined, 2_000);
            assert.equal(health.status, 200);
            slowest = Math.max(slowest, Date.now() - asked);
            peakRss = Math.max(peakRss, child.rssBytes());
            await new Promise((resolve) => setTimeout(resolve, 50));
        }
        const cpu = child.cpuSeconds() - cpuBefore;
        assert.equal(child.killedAtRss, undefined, `the server grew to ${child.killedAtRss} bytes resident`);
        assert.deepEqual(
            h.vnc.received(index),
            message,
            `the clipboard message did not arrive whole in ${Date.now() - started} ms`,
        );
        t.diagnostic(`server CPU ${cpu.toFixed(2)} s, slowest /healthz ${slowest} ms, peak RSS ${peakRss >> 20} MiB`);
    });

    it("closes a viewer whose WebSocket message comes in too many fragments", async () => {
        rawFrames(rfb, Buffer.alloc(100_000, 3), "fragments");
        await until(() => rfb.closed, "viewer closed");
        assert.equal(child.killedAtRss, undefined, `the server grew to ${child.killedAtRss} bytes resident`);
        assert.equal((await child.http("GET", "/healthz")).status, 200);
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
