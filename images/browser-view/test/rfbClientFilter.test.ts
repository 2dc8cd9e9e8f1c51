import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
    CLIENT_MESSAGE,
    MAX_CLIPBOARD_BYTES,
    RfbClientFilter,
    RfbProtocolError,
    type ViewMode,
} from "../src/rfbClientFilter.js";

// Client messages as noVNC builds them (core/rfb.js, RFB.messages).
const message = {
    setPixelFormat: () => Buffer.concat([Buffer.from([0, 0, 0, 0]), Buffer.alloc(16, 7)]),
    setEncodings: (encodings: number[]) => {
        const out = Buffer.alloc(4 + 4 * encodings.length);
        out[0] = 2;
        out.writeUInt16BE(encodings.length, 2);
        encodings.forEach((e, i) => out.writeInt32BE(e, 4 + 4 * i));
        return out;
    },
    updateRequest: () => Buffer.from([3, 1, 0, 0, 0, 0, 4, 0, 3, 0]),
    key: (keysym: number, down: boolean) => {
        const out = Buffer.alloc(8);
        out[0] = 4;
        out[1] = down ? 1 : 0;
        out.writeUInt32BE(keysym, 4);
        return out;
    },
    pointer: (x: number, y: number, mask: number) => Buffer.from([5, mask, x >> 8, x & 255, y >> 8, y & 255]),
    cutText: (text: string, extended = false) => {
        const data = Buffer.from(text, "latin1");
        const out = Buffer.alloc(8);
        out[0] = 6;
        out.writeInt32BE(extended ? -data.length : data.length, 4);
        return Buffer.concat([out, data]);
    },
    continuousUpdates: () => Buffer.from([150, 1, 0, 0, 0, 0, 4, 0, 3, 0]),
    fence: (payload: string) =>
        Buffer.concat([Buffer.from([248, 0, 0, 0, 0, 0, 0, 1, payload.length]), Buffer.from(payload)]),
    xvp: () => Buffer.from([250, 0, 1, 2]),
    desktopSize: () => Buffer.concat([Buffer.from([251, 0, 4, 0, 3, 0, 1, 0]), Buffer.alloc(16, 1)]),
    qemuKey: () => Buffer.from([255, 0, 0, 1, 0, 0, 0, 0x61, 0, 0, 0, 0x1e]),
};

const sessionStart = [message.setPixelFormat(), message.setEncodings([7, 1, 0, -239]), message.updateRequest()];
const inputs = [
    message.key(0x61, true),
    message.key(0x61, false),
    message.pointer(100, 200, 1),
    message.cutText("secret"),
    message.cutText("xx", true),
    message.xvp(),
    message.desktopSize(),
    message.qemuKey(),
];
const harmless = [message.continuousUpdates(), message.fence("ab"), message.updateRequest()];

function run(mode: ViewMode | (() => ViewMode), chunks: Buffer[]): Buffer {
    const filter = new RfbClientFilter(typeof mode === "function" ? mode : () => mode);
    return Buffer.concat(chunks.flatMap((chunk) => filter.push(chunk)));
}

/** Splits a stream at every byte, the worst case for a streaming parser. */
function byteByByte(stream: Buffer): Buffer[] {
    return [...stream].map((byte) => Buffer.from([byte]));
}

describe("RFB client filter", () => {
    it("passes every message through unchanged in interactive mode", () => {
        const stream = Buffer.concat([...sessionStart, ...inputs, ...harmless]);
        assert.deepEqual(run("interactive", [stream]), stream);
        assert.deepEqual(run("interactive", byteByByte(stream)), stream);
    });

    it("drops key, pointer, clipboard, XVP, resize and QEMU key messages in view-only mode, keeping the rest", () => {
        const stream = Buffer.concat([...sessionStart, ...inputs, ...harmless]);
        const expected = Buffer.concat([...sessionStart, ...harmless]);
        assert.deepEqual(run("view-only", [stream]), expected);
        assert.deepEqual(run("view-only", byteByByte(stream)), expected);
    });

    it("drops each input message type alone in view-only mode", () => {
        for (const input of inputs) {
            assert.deepEqual(
                run("view-only", [message.updateRequest(), input, message.updateRequest()]),
                Buffer.concat([message.updateRequest(), message.updateRequest()]),
                `type ${input[0]}`,
            );
        }
    });

    it("applies a mode switch from the next message on", () => {
        let mode: ViewMode = "view-only";
        const filter = new RfbClientFilter(() => mode);
        assert.deepEqual(filter.push(message.key(0x61, true)), []);
        mode = "interactive";
        assert.deepEqual(Buffer.concat(filter.push(message.key(0x62, true))), message.key(0x62, true));
        mode = "view-only";
        assert.deepEqual(filter.push(message.pointer(1, 2, 0)), []);
        assert.deepEqual(filter.counters, { forwarded: 1, dropped: 2 });
    });

    it("removes the ExtendedMouseButtons pseudo-encoding, so PointerEvent stays 6 bytes", () => {
        const out = run("interactive", [message.setEncodings([7, -316, -239])]);
        assert.deepEqual(out, message.setEncodings([7, -239]));
    });

    it("keeps long clipboard texts in step when split across chunks", () => {
        const text = "x".repeat(70_000);
        const stream = Buffer.concat([message.cutText(text), message.updateRequest()]);
        const chunks = [stream.subarray(0, 5), stream.subarray(5, 40_000), stream.subarray(40_000)];
        assert.deepEqual(run("view-only", chunks), message.updateRequest());
        assert.deepEqual(run("interactive", chunks), stream);
    });

    it("ends the connection on an unknown message type or an oversized clipboard", () => {
        assert.throws(() => run("interactive", [Buffer.from([7, 0, 0, 0])]), RfbProtocolError);
        assert.throws(() => run("interactive", [Buffer.from([255, 1, 0, 0])]), RfbProtocolError);
        const huge = Buffer.alloc(8);
        huge[0] = CLIENT_MESSAGE.clientCutText;
        huge.writeInt32BE(MAX_CLIPBOARD_BYTES + 1, 4);
        assert.throws(() => run("view-only", [huge]), /exceeds/);
        huge.writeInt32BE(-(MAX_CLIPBOARD_BYTES + 1), 4);
        assert.throws(() => run("view-only", [huge]), /exceeds/);
    });

    it("never forwards an input message in view-only mode, whatever the byte stream (random streams)", () => {
        // Random valid streams: every byte the filter forwards must belong to a non-input message.
        const all = [...sessionStart, ...inputs, ...harmless];
        for (let round = 0; round < 200; round++) {
            const picked = Array.from({ length: 20 }, () => all[Math.floor(Math.random() * all.length)]);
            const stream = Buffer.concat(picked);
            const cuts = [
                0,
                ...Array.from({ length: 5 }, () => Math.floor(Math.random() * stream.length)).sort((a, b) => a - b),
                stream.length,
            ];
            const chunks = cuts.slice(1).map((end, i) => stream.subarray(cuts[i], end));
            const expected = Buffer.concat(picked.filter((m) => !inputs.includes(m)));
            assert.deepEqual(run("view-only", chunks), expected);
        }
    });
});
