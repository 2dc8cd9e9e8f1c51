import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, beforeEach, describe, it } from "node:test";
import { AGENT, TOKEN, UPDATE_REQUEST, until, ViewHarness } from "./harness.js";
import { ServerProcess } from "./serverProcess.js";
import { openWebSocket, RfbViewer } from "./viewer.js";

/** What a viewer's bytes cost the server, however they are split. */
describe("browser-view bounded work per byte", () => {
    let h: ViewHarness;
    before(async () => {
        h = await ViewHarness.start();
    });
    after(() => h.stop());
    beforeEach(() => h.setMode("view-only"));

    it("spends linear time on a clipboard text in one-byte WebSocket frames, and /healthz stays quick", async (t) => {
        // The server as its own process (dist/main.js), so that its CPU time and stalls are its own.
        await h.setMode("interactive");
        const child = await ServerProcess.start({
            AGENT_NAME: AGENT,
            VNC_PORT: String(h.vncPort),
            VNC_PASSWORD_FILE: join(h.dir, "vnc-password"),
            BROWSER_VIEW_TOKEN_FILE: join(h.dir, "token"),
            BROWSER_VIEW_MODE_FILE: join(h.dir, "mode"),
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
            while (h.vnc.received(index).length < message.length && Date.now() - started < 20_000) {
                const asked = Date.now();
                const health = await child.http("GET", "/healthz", {}, undefined, 2_000);
                assert.equal(health.status, 200);
                slowest = Math.max(slowest, Date.now() - asked);
                await new Promise((resolve) => setTimeout(resolve, 50));
            }
            const cpu = child.cpuSeconds() - cpuBefore;
            assert.deepEqual(
                h.vnc.received(index),
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
        const rfb = await h.viewer(await h.login());
        rawFrames(rfb, Buffer.alloc(100_000, 3), "fragments");
        await until(() => rfb.closed, "viewer closed");
        assert.equal((await h.http("GET", "/healthz")).status, 200);
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
