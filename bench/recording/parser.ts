/**
 * The recorder's RFB server message parser: CPU per byte when a framebuffer update arrives in one-byte
 * chunks (the worst split a socket can give) against the floor, the same update in one chunk, at growing
 * sizes, interleaved. Linear work keeps the ratio flat as the size doubles; quadratic work doubles it.
 * Run: node_modules/.bin/tsx bench/recording/parser.ts  (BENCH_ROUNDS, default 5; BENCH_SIZES, comma-separated bytes)
 */
import { ServerMessageParser } from "../../images/browser-view/src/recording/serverMessages.js";

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

function cpuSeconds(update: Buffer, chunk: number): number {
    const parser = new ServerMessageParser();
    const started = process.cpuUsage();
    let messages = 0;
    for (let i = 0; i < update.length; i += chunk) messages += parser.push(update.subarray(i, i + chunk)).length;
    const used = process.cpuUsage(started);
    if (messages !== 1) throw new Error(`parser returned ${messages} messages, expected 1`);
    return (used.user + used.system) / 1e6;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const rounds = Number(process.env.BENCH_ROUNDS ?? 5);
const sizes = (process.env.BENCH_SIZES ?? "100000,200000,400000,800000").split(",").map(Number);
const samples = new Map(sizes.map((size) => [size, { bytewise: [] as number[], whole: [] as number[] }]));
for (let round = 0; round < rounds; round++) {
    for (const size of sizes) {
        const update = jpegUpdate(size);
        const sample = samples.get(size)!;
        sample.bytewise.push(cpuSeconds(update, 1));
        sample.whole.push(cpuSeconds(update, update.length));
    }
}
console.log("size (bytes)  one-byte chunks (ms)  ns per byte  one chunk (ms)");
const perByte: number[] = [];
for (const size of sizes) {
    const sample = samples.get(size)!;
    const bytewise = median(sample.bytewise);
    perByte.push((bytewise / size) * 1e9);
    console.log(
        `${String(size).padStart(12)}  ${(bytewise * 1e3).toFixed(1).padStart(20)}  ${perByte.at(-1)!.toFixed(0).padStart(11)}  ${(median(sample.whole) * 1e3).toFixed(2).padStart(14)}`,
    );
}
console.log(`cost per byte at ${sizes.at(-1)} / at ${sizes[0]}: ${(perByte.at(-1)! / perByte[0]).toFixed(2)} (1.00 = linear; quadratic work gives ${sizes.at(-1)! / sizes[0]})`);
