import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, afterEach, before, beforeEach, describe, it } from "node:test";
import { Recorder } from "../src/recording/recorder.js";
import { applyRetention, repairAll } from "../src/recording/retention.js";
import { parseSegment, type SegmentHeader, SegmentWriter, segmentName } from "../src/recording/segmentFile.js";
import { ServerMessageParser } from "../src/recording/serverMessages.js";
import { FakeVncServer } from "./fakeVncServer.js";
import { until, VNC_PASSWORD } from "./harness.js";

/** Framebuffer updates as TigerVNC sends them for the recorder's encodings. */
const rect = (encoding: number, width: number, height: number, body: Buffer) => {
    const head = Buffer.alloc(12);
    head.writeUInt16BE(width, 4);
    head.writeUInt16BE(height, 6);
    head.writeInt32BE(encoding, 8);
    return Buffer.concat([head, body]);
};
const update = (...rects: Buffer[]) => {
    const head = Buffer.alloc(4);
    head.writeUInt16BE(rects.length, 2);
    return Buffer.concat([head, ...rects]);
};
const compact = (length: number) =>
    length < 128
        ? Buffer.from([length])
        : length < 16384
          ? Buffer.from([(length & 127) | 128, length >> 7])
          : Buffer.from([(length & 127) | 128, ((length >> 7) & 127) | 128, length >> 14]);
const tight = {
    fill: () => Buffer.from([0x80, 1, 2, 3]),
    jpeg: (size: number) => Buffer.concat([Buffer.from([0x90]), compact(size), Buffer.alloc(size, 7)]),
    copy: (width: number, height: number) => {
        const size = width * height * 3; // zlib data follows when 12 bytes or more
        return size < 12
            ? Buffer.concat([Buffer.from([0x00]), Buffer.alloc(size, 1)])
            : Buffer.concat([Buffer.from([0x00]), compact(300), Buffer.alloc(300, 1)]);
    },
    palette: (colours: number, width: number, height: number) => {
        const size = colours === 2 ? Math.ceil(width / 8) * height : width * height;
        const data = size < 12 ? Buffer.alloc(size, 1) : Buffer.concat([compact(20_000), Buffer.alloc(20_000, 1)]);
        return Buffer.concat([Buffer.from([0x40 | 0x10, 1, colours - 1]), Buffer.alloc(colours * 3, 9), data]);
    },
    gradient: () => Buffer.concat([Buffer.from([0x40 | 0x20, 2]), compact(70), Buffer.alloc(70, 1)]),
};

describe("RFB server message parser", () => {
    const updates = [
        update(rect(7, 64, 64, tight.fill())),
        update(rect(7, 64, 64, tight.jpeg(200_000)), rect(1, 10, 10, Buffer.alloc(4))),
        update(rect(7, 100, 50, tight.copy(100, 50)), rect(7, 1, 2, tight.copy(1, 2))),
        update(rect(7, 33, 20, tight.palette(2, 33, 20)), rect(7, 3, 1, tight.palette(2, 3, 1))),
        update(rect(7, 40, 40, tight.palette(7, 40, 40)), rect(7, 100, 1, tight.gradient())),
        update(rect(0, 3, 2, Buffer.alloc(24, 5)), rect(-223, 800, 600, Buffer.alloc(0))),
        update(rect(-308, 800, 600, Buffer.concat([Buffer.from([2, 0, 0, 0]), Buffer.alloc(32, 1)]))),
        Buffer.concat([
            update(rect(7, 8, 8, tight.fill())).subarray(0, 2),
            Buffer.from([0xff, 0xff]),
            rect(7, 8, 8, tight.fill()),
            rect(-224, 0, 0, Buffer.alloc(0)),
        ]),
    ];
    const clipboard = Buffer.concat([Buffer.from([3, 0, 0, 0, 0, 0, 0, 5]), Buffer.from("hello")]);
    const stream = Buffer.concat([updates[0], clipboard, updates[1], Buffer.from([2]), ...updates.slice(2)]);

    it("finds every message's end however the bytes are split, and tells clipboard and bells apart", () => {
        for (const split of [stream.length, 1000, 7, 1]) {
            const parser = new ServerMessageParser();
            const out = [];
            for (let i = 0; i < stream.length; i += split) out.push(...parser.push(stream.subarray(i, i + split)));
            assert.deepEqual(
                out.map((m) => m.type),
                [0, 3, 0, 2, 0, 0, 0, 0, 0, 0],
                `split ${split}`,
            );
            const updatesOut = out.filter((m) => m.type === 0).map((m) => m.bytes);
            assert.deepEqual(updatesOut, updates, `split ${split}`);
        }
    });

    // Its cost per byte (linear, not quadratic) is measured in bench/browser-view/byte-streams.ts, not timed here.
    it("keeps a 200 KB update whole when it arrives in one-byte chunks", () => {
        const big = update(rect(7, 640, 480, tight.jpeg(200_000)));
        const parser = new ServerMessageParser();
        const out = [];
        for (let i = 0; i < big.length; i++) out.push(...parser.push(big.subarray(i, i + 1)));
        assert.equal(out.length, 1);
        assert.ok(out[0].bytes.equals(big));
        assert.deepEqual(parser.push(Buffer.from([2])), [{ type: 2, bytes: Buffer.from([2]) }]);
    });

    it("refuses what it was not asked for", () => {
        assert.throws(() => new ServerMessageParser().push(Buffer.from([99])), /unexpected RFB server message type 99/);
        assert.throws(() => new ServerMessageParser().push(update(rect(16, 1, 1, Buffer.alloc(4)))), /encoding 16/);
        assert.throws(() => new ServerMessageParser().push(update(rect(7, 1, 1, Buffer.from([0xa0])))), /Tight/);
    });
});

describe("recording segments and retention", () => {
    let dir: string;
    const header = (startMs: number): SegmentHeader => ({
        format: "persistent-agents desktop recording",
        version: 1,
        startMs,
        width: 64,
        height: 48,
        pixelFormat: "novnc-rgbx32",
    });
    beforeEach(() => {
        dir = mkdtempSync(join(tmpdir(), "recording-"));
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    it("writes timed records and a trailer, and reads them back", async () => {
        const writer = await SegmentWriter.create(join(dir, segmentName(1_000_000)), header(1_000_000));
        await writer.append(1_000_000, Buffer.from("init"));
        await writer.append(1_000_250, Buffer.from("update"));
        await writer.close(1_001_000);
        const parsed = parseSegment(readFileSync(writer.path));
        assert.equal(parsed.closed, true);
        assert.equal(parsed.durationMs, 1000);
        assert.deepEqual(
            parsed.records.map((r) => [r.offsetMs, r.bytes.toString()]),
            [
                [0, "init"],
                [250, "update"],
            ],
        );
        assert.equal(segmentName(Date.UTC(2026, 11, 5, 0, 1, 2, 345)), "20261205T000102345Z.vncrec");
    });

    it("closes a segment cut short at its last whole record", async () => {
        const path = join(dir, segmentName(2_000_000));
        const writer = await SegmentWriter.create(path, header(2_000_000));
        await writer.append(2_000_000, Buffer.from("init"));
        await writer.append(2_000_400, Buffer.from("update"));
        await writer.close(2_000_500);
        // Killed mid-write: no trailer, and half of a third record.
        const whole = readFileSync(path);
        const cut = Buffer.concat([whole.subarray(0, whole.length - 8), Buffer.from([0, 0, 2, 0, 0, 0, 0, 9, 1, 2])]);
        writeFileSync(path, cut);
        assert.equal(parseSegment(cut).closed, false);
        assert.equal(parseSegment(cut).records.length, 2);
        assert.deepEqual(await repairAll(dir), [segmentName(2_000_000)]);
        const repaired = parseSegment(readFileSync(path));
        assert.equal(repaired.closed, true);
        assert.equal(repaired.durationMs, 400);
        assert.deepEqual(await repairAll(dir), []);
    });

    it("deletes the oldest segments first, by total size and by age, never the newest", async () => {
        const now = Date.now();
        const names = [0, 1, 2, 3].map((i) => segmentName(now - (4 - i) * 60_000));
        for (const [i, name] of names.entries()) {
            writeFileSync(join(dir, name), Buffer.alloc(1000));
            const mtime = (now - (3 - i) * 60_000) / 1000;
            utimesSync(join(dir, name), mtime, mtime);
        }
        const log = () => undefined;
        assert.deepEqual(
            await applyRetention(dir, { maxAgeMs: 3_600_000, maxBytes: 2500 }, now, log),
            names.slice(0, 2),
        );
        // By age: the segment that ended 60 s ago goes with a 30-s limit; the newest stays whatever its age.
        assert.deepEqual(await applyRetention(dir, { maxAgeMs: 90_000, maxBytes: 1e9 }, now, log), []);
        assert.deepEqual(await applyRetention(dir, { maxAgeMs: 30_000, maxBytes: 1e9 }, now, log), [names[2]]);
        assert.deepEqual(await applyRetention(dir, { maxAgeMs: 1, maxBytes: 1 }, now, log), []);
        assert.deepEqual(readdirSync(dir), [names[3]]);
    });
});

describe("recorder", () => {
    let vnc: FakeVncServer;
    let port: number;
    let dir: string;
    before(async () => {
        vnc = new FakeVncServer(VNC_PASSWORD);
        vnc.answerUpdates = true;
        port = await vnc.listen();
    });
    after(() => vnc.close());
    beforeEach(() => {
        dir = mkdtempSync(join(tmpdir(), "recorder-"));
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    const recorder = (settings: Partial<ConstructorParameters<typeof Recorder>[0]> = {}) =>
        new Recorder({
            vncHost: "127.0.0.1",
            vncPort: port,
            vncPassword: async () => VNC_PASSWORD,
            dir,
            fps: 20,
            segmentSeconds: 3600,
            retention: { maxAgeMs: 86_400_000, maxBytes: 1 << 30 },
            shouldRecord: () => true,
            log: () => undefined,
            ...settings,
        });
    const segments = () =>
        readdirSync(dir)
            .sort()
            .map((name) => parseSegment(readFileSync(join(dir, name))));

    it("records framebuffer updates at its rate, keeps no clipboard text, and closes cleanly when stopped", async () => {
        const sent = vnc.updatesSent;
        const started = Date.now();
        const running = recorder({ fps: 10 });
        await running.start();
        await until(() => vnc.updatesSent - sent >= 10, "ten updates recorded");
        await running.stop();
        const elapsed = Date.now() - started;
        const [segment] = segments();
        assert.equal(segment.closed, true);
        assert.equal(segment.header.width, 64);
        // The ServerInit, then only framebuffer updates (type 0): the clipboard text and the bell are gone.
        assert.deepEqual(
            segment.records.slice(1).map((r) => r.bytes[0]),
            segment.records.slice(1).map(() => 0),
        );
        assert.ok(!readFileSync(join(dir, readdirSync(dir)[0])).includes("clipboard secret"));
        // At most 10 a second (plus the first, asked at once).
        assert.ok(
            segment.records.length - 1 <= (elapsed / 1000) * 10 + 2,
            `${segment.records.length} in ${elapsed} ms`,
        );
    });

    it("starts a new segment every segmentSeconds, each from a new connection", async () => {
        const connections = vnc.connections;
        const running = recorder({ segmentSeconds: 1 });
        await running.start();
        await until(() => readdirSync(dir).length >= 3, "three segments", 8_000);
        await running.stop();
        const all = segments();
        assert.ok(all.every((segment) => segment.closed));
        assert.ok(vnc.connections - connections >= 3);
        assert.ok(
            all.every((segment) => segment.records.length >= 2),
            "a segment without its first update",
        );
    });

    it("records nothing while it may not (a person has taken over), and resumes after", async () => {
        let allowed = true;
        const running = recorder({ shouldRecord: () => allowed });
        await running.start();
        await until(() => readdirSync(dir).length === 1, "first segment");
        allowed = false;
        await new Promise((resolve) => setTimeout(resolve, 1_500));
        const closedAt = statSync(join(dir, readdirSync(dir)[0])).mtimeMs;
        assert.equal(segments()[0].closed, true, "the segment stayed open during the takeover");
        await new Promise((resolve) => setTimeout(resolve, 1_500));
        assert.equal(readdirSync(dir).length, 1, "a segment was opened during the takeover");
        assert.equal(statSync(join(dir, readdirSync(dir)[0])).mtimeMs, closedAt, "written during the takeover");
        allowed = true;
        await until(() => readdirSync(dir).length === 2, "recording resumed", 3_000);
        await running.stop();
    });
});
