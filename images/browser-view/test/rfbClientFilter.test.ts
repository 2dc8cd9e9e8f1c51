import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
    CLIENT_MESSAGE,
    MAX_CLIPBOARD_BYTES,
    RfbClientFilter,
    VIEW_ONLY_MAX_CLIPBOARD_BYTES,
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
        encodings.forEach((e, i) => {
            out.writeInt32BE(e, 4 + 4 * i);
        });
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
        assert.deepEqual(filter.counters, { forwarded: 1, dropped: 2, oversized: 0 });
    });

    it("removes the ExtendedMouseButtons pseudo-encoding, so PointerEvent stays 6 bytes", () => {
        const out = run("interactive", [message.setEncodings([7, -316, -239])]);
        assert.deepEqual(out, message.setEncodings([7, -239]));
    });

    it("keeps long clipboard texts in step when split across chunks", () => {
        const split = (stream: Buffer) => [stream.subarray(0, 5), stream.subarray(5, 3_000), stream.subarray(3_000)];
        const long = Buffer.concat([message.cutText("x".repeat(70_000)), message.updateRequest()]);
        assert.deepEqual(run("interactive", split(long)), long);
        const short = Buffer.concat([message.cutText("x".repeat(4_000)), message.updateRequest()]);
        assert.deepEqual(run("view-only", split(short)), message.updateRequest());
    });

    it("ends the connection on an unknown message type", () => {
        assert.throws(() => run("interactive", [Buffer.from([7, 0, 0, 0])]), RfbProtocolError);
        assert.throws(() => run("interactive", [Buffer.from([255, 1, 0, 0])]), RfbProtocolError);
    });

    it("drops an oversized clipboard text while interactive without buffering it, and stays in step", () => {
        const filter = new RfbClientFilter(() => "interactive");
        const header = Buffer.alloc(8);
        header[0] = CLIENT_MESSAGE.clientCutText;
        header.writeInt32BE(-(MAX_CLIPBOARD_BYTES + 1), 4);
        const before = process.memoryUsage().arrayBuffers;
        assert.deepEqual(filter.push(header), []);
        // Announced but not yet sent: nothing of its size may be allocated for it.
        assert.ok(process.memoryUsage().arrayBuffers - before < MAX_CLIPBOARD_BYTES / 2, "the text was buffered");
        const body = Buffer.alloc(MAX_CLIPBOARD_BYTES + 1, 0x78);
        const out = [
            ...filter.push(body.subarray(0, 1000)),
            ...filter.push(Buffer.concat([body.subarray(1000), message.key(0x61, true)])),
        ];
        assert.deepEqual(Buffer.concat(out), message.key(0x61, true));
        assert.deepEqual(filter.counters, { forwarded: 1, dropped: 1, oversized: 1 });
        const fits = message.cutText("y".repeat(MAX_CLIPBOARD_BYTES));
        assert.deepEqual(Buffer.concat(filter.push(fits)), fits);
    });

    it("ends the connection on a clipboard text over the much lower view-only limit", () => {
        const header = Buffer.alloc(8);
        header[0] = CLIENT_MESSAGE.clientCutText;
        header.writeInt32BE(VIEW_ONLY_MAX_CLIPBOARD_BYTES + 1, 4);
        assert.throws(() => run("view-only", [header]), /view-only/);
        header.writeInt32BE(-(VIEW_ONLY_MAX_CLIPBOARD_BYTES + 1), 4);
        assert.throws(() => run("view-only", [header]), /view-only/);
        const small = message.cutText("z".repeat(VIEW_ONLY_MAX_CLIPBOARD_BYTES));
        assert.deepEqual(run("view-only", [small, message.updateRequest()]), message.updateRequest());
    });

    // Its cost per byte (linear however the bytes are split) is measured in bench/browser-view/byte-streams.ts.
    it("passes 512 KiB of clipboard text through whole when it arrives in one-byte chunks", () => {
        const stream = Buffer.concat([message.cutText("q".repeat(512 << 10)), message.updateRequest()]);
        const filter = new RfbClientFilter(() => "interactive");
        const out: Buffer[] = [];
        for (let i = 0; i < stream.length; i++) out.push(...filter.push(stream.subarray(i, i + 1)));
        assert.deepEqual(Buffer.concat(out), stream);
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
