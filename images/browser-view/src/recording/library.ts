import { open, readFile } from "node:fs/promises";
import { join } from "node:path";
import { listSegmentFiles } from "./retention.js";
import { MAGIC, parseSegment, type SegmentHeader } from "./segmentFile.js";

/** What the replay page needs to know of a segment: where it sits on the timeline and its size. */
export interface SegmentInfo {
    name: string;
    startMs: number;
    endMs: number;
    width: number;
    height: number;
    bytes: number;
    /** False for the segment being written (or one cut short and not yet repaired). */
    closed: boolean;
}

export const SEGMENT_NAME = /^\d{8}T\d{9}Z\.vncrec$/;
const HEAD_BYTES = 4096;

/**
 * The recording's segments, oldest first. A closed segment's end is in its trailer (its last 8 bytes);
 * the open one is read through. Results are kept per file name, size and mtime, so an index request
 * reads only what changed.
 */
export class SegmentLibrary {
    private readonly cache = new Map<string, { key: string; info: SegmentInfo }>();

    constructor(readonly dir: string) {}

    async list(): Promise<SegmentInfo[]> {
        const files = await listSegmentFiles(this.dir);
        const out: SegmentInfo[] = [];
        const seen = new Set<string>();
        for (const file of files) {
            if (!SEGMENT_NAME.test(file.name)) continue;
            seen.add(file.name);
            const key = `${file.bytes}:${file.modifiedMs}`;
            const cached = this.cache.get(file.name);
            if (cached?.key === key) {
                out.push(cached.info);
                continue;
            }
            const info = await describe(join(this.dir, file.name), file.name, file.bytes).catch(() => undefined);
            if (!info) continue;
            this.cache.set(file.name, { key, info });
            out.push(info);
        }
        for (const name of this.cache.keys()) if (!seen.has(name)) this.cache.delete(name);
        return out;
    }
}

async function describe(path: string, name: string, bytes: number): Promise<SegmentInfo> {
    const file = await open(path, "r");
    let header: SegmentHeader;
    let trailer: Buffer;
    try {
        const head = Buffer.alloc(Math.min(HEAD_BYTES, bytes));
        await file.read(head, 0, head.length, 0);
        if (!head.subarray(0, 8).equals(MAGIC)) throw new Error(`${name} is not a recording segment`);
        const length = head.readUInt32BE(8);
        header = JSON.parse(head.subarray(12, 12 + length).toString("utf8"));
        trailer = Buffer.alloc(8);
        await file.read(trailer, 0, 8, bytes - 8);
    } finally {
        await file.close();
    }
    let durationMs: number;
    let closed = trailer.readUInt32BE(4) === 0xffffffff;
    if (closed) {
        durationMs = trailer.readUInt32BE(0);
    } else {
        const parsed = parseSegment(await readFile(path), false);
        durationMs = parsed.durationMs;
        closed = parsed.closed;
    }
    return {
        name,
        startMs: header.startMs,
        endMs: header.startMs + durationMs,
        width: header.width,
        height: header.height,
        bytes,
        closed,
    };
}
