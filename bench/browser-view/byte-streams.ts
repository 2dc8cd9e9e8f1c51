/**
 * The browser view's two byte-stream consumers, fed the worst split a socket can give (one-byte chunks):
 * the recorder's RFB server message parser (one Tight JPEG framebuffer update) and the client filter
 * (one clipboard message). CPU per byte at growing sizes, interleaved; the floor is the same stream in one
 * chunk. Linear work keeps the cost per byte flat as the size doubles; quadratic work doubles it.
 * Run: node_modules/.bin/tsx bench/browser-view/byte-streams.ts
 *      (BENCH_ROUNDS, default 3; BENCH_SIZES, comma-separated bytes)
 */
import { ServerMessageParser } from "../../images/browser-view/src/recording/serverMessages.js";
import { RfbClientFilter } from "../../images/browser-view/src/rfbClientFilter.js";

/** A framebuffer update of one Tight JPEG rectangle of `size` bytes, as TigerVNC sends it. */
function jpegUpdate(size: number): Buffer {
    const rectHead = Buffer.alloc(12);
    rectHead.writeUInt16BE(640, 4);
    rectHead.writeUInt16BE(480, 6);
    rectHead.writeInt32BE(7, 8);
    const compact = Buffer.from([(size & 127) | 128, ((size >> 7) & 127) | 128, size >> 14]);
    const head = Buffer.alloc(4);
    head.writeUInt16BE(1, 2);
    return Buffer.concat([head, rectHead, Buffer.from([0x90]), compact, Buffer.alloc(size, 7)]);
}

/** A ClientCutText of `size` bytes, as noVNC sends it. */
function clipboard(size: number): Buffer {
    const head = Buffer.alloc(8);
    head[0] = 6;
    head.writeInt32BE(size, 4);
    return Buffer.concat([head, Buffer.alloc(size, "q")]);
}

interface Consumer {
    name: string;
    stream(size: number): Buffer;
    /** Feeds the chunks; returns the bytes or messages produced, checked so a broken consumer fails. */
    run(chunks: Iterable<Buffer>): number;
    expected(stream: Buffer): number;
}

const consumers: Consumer[] = [
    {
        name: "recorder parser",
        stream: jpegUpdate,
        run(chunks) {
            const parser = new ServerMessageParser();
            let messages = 0;
            for (const chunk of chunks) messages += parser.push(chunk).length;
            return messages;
        },
        expected: () => 1,
    },
    {
        name: "client filter",
        stream: clipboard,
        run(chunks) {
            const filter = new RfbClientFilter(() => "interactive");
            let bytes = 0;
            for (const chunk of chunks) for (const out of filter.push(chunk)) bytes += out.length;
            return bytes;
        },
        expected: (stream) => stream.length,
    },
];

function* split(stream: Buffer, chunk: number): Generator<Buffer> {
    for (let i = 0; i < stream.length; i += chunk) yield stream.subarray(i, i + chunk);
}

function cpuSeconds(consumer: Consumer, stream: Buffer, chunk: number): number {
    const started = process.cpuUsage();
    const produced = consumer.run(split(stream, chunk));
    const used = process.cpuUsage(started);
    const expected = consumer.expected(stream);
    if (produced !== expected) throw new Error(`${consumer.name} produced ${produced}, expected ${expected}`);
    return (used.user + used.system) / 1e6;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const sizes = (process.env.BENCH_SIZES ?? "100000,200000,400000,800000").split(",").map(Number);
const samples = new Map<string, { bytewise: number[]; whole: number[] }>();
for (let round = 0; round < rounds; round++) {
    for (const size of sizes) {
        for (const consumer of consumers) {
            const stream = consumer.stream(size);
            const key = `${consumer.name}@${size}`;
            const sample = samples.get(key) ?? { bytewise: [], whole: [] };
            samples.set(key, sample);
            sample.bytewise.push(cpuSeconds(consumer, stream, 1));
            sample.whole.push(cpuSeconds(consumer, stream, stream.length));
        }
    }
}
for (const consumer of consumers) {
    console.log(`${consumer.name}\n  size (bytes)  one-byte chunks (ms)  ns per byte  one chunk (ms)`);
    const perByte: number[] = [];
    for (const size of sizes) {
        const sample = samples.get(`${consumer.name}@${size}`)!;
        const bytewise = median(sample.bytewise);
        perByte.push((bytewise / size) * 1e9);
        console.log(
            `  ${String(size).padStart(12)}  ${(bytewise * 1e3).toFixed(1).padStart(20)}  ${perByte.at(-1)!.toFixed(0).padStart(11)}  ${(median(sample.whole) * 1e3).toFixed(2).padStart(14)}`,
        );
    }
    const growth = sizes.at(-1)! / sizes[0];
    console.log(
        `  cost per byte at ${sizes.at(-1)} / at ${sizes[0]}: ${(perByte.at(-1)! / perByte[0]).toFixed(2)} (1.00 = linear; quadratic work gives ${growth})`,
    );
}
