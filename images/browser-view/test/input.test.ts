import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { KEY_A, UPDATE_REQUEST, until, ViewHarness } from "./harness.js";

const up = (down: Buffer) => {
    const message = Buffer.from(down);
    if (message[0] === 255) message.writeUInt16BE(0, 2);
    else message[1] = 0;
    return message;
};
const QEMU_SHIFT = Buffer.from([255, 0, 0, 1, 0, 0, 0xff, 0xe1, 0, 0, 0, 0x2a]);
const POINTER_DRAG = Buffer.from([5, 1, 0, 10, 0, 20]);

/** Switching interactive → view-only releases what the viewer holds on the desktop. */
describe("browser-view held input", () => {
    let h: ViewHarness;
    before(async () => {
        h = await ViewHarness.start();
    });
    after(() => h.stop());

    it("releases held keys and buttons on the desktop when the mode turns view-only, the viewer sending nothing", async () => {
        await h.setMode("interactive");
        const rfb = await h.viewer(await h.login());
        const index = h.vnc.sessions.length - 1;
        const pressed = Buffer.concat([KEY_A, QEMU_SHIFT, POINTER_DRAG]);
        rfb.send(pressed);
        await until(() => h.vnc.received(index).length === pressed.length, "input forwarded");
        await h.setMode("view-only");
        const released = Buffer.concat([up(KEY_A), up(QEMU_SHIFT), Buffer.from([5, 0, 0, 10, 0, 20])]);
        await until(() => h.vnc.received(index).length >= pressed.length + released.length, "releases sent");
        assert.deepEqual(h.vnc.received(index), Buffer.concat([pressed, released]));
        // Nothing is held any more: switching again sends nothing.
        await h.setMode("interactive");
        await h.setMode("view-only");
        rfb.send(UPDATE_REQUEST);
        await until(() => h.vnc.received(index).length > pressed.length + released.length, "update request");
        assert.deepEqual(h.vnc.received(index), Buffer.concat([pressed, released, UPDATE_REQUEST]));
        rfb.ws.close();
    });

    it("releases nothing the viewer already released, and what it still holds when it leaves", async () => {
        await h.setMode("interactive");
        const rfb = await h.viewer(await h.login());
        const index = h.vnc.sessions.length - 1;
        const sent = Buffer.concat([KEY_A, up(KEY_A), QEMU_SHIFT, Buffer.from([5, 4, 0, 1, 0, 2])]);
        rfb.send(sent);
        await until(() => h.vnc.received(index).length === sent.length, "input forwarded");
        const closedBefore = h.vnc.closedByClient;
        rfb.ws.terminate();
        await until(() => h.vnc.closedByClient === closedBefore + 1, "VNC connection closed");
        assert.deepEqual(h.vnc.received(index), Buffer.concat([sent, up(QEMU_SHIFT), Buffer.from([5, 0, 0, 1, 0, 2])]));
    });
});
