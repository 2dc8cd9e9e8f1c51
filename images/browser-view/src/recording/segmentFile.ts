import { type FileHandle, open } from "node:fs/promises";

/**
 * One recording segment: what one VNC connection of the recorder received, from the server's init to
 * the close, as timed RFB server messages. A segment decodes on its own (it starts with the server's
 * init and a full framebuffer update, on fresh zlib streams), so seeking means loading one segment and
 * replaying it from its start to the moment wanted.
 *
 * Layout (big-endian):
 *   magic "PAREC\0\0\x01" (8 bytes), u32 header length, header (JSON, UTF-8: SegmentHeader)
 *   records: u32 milliseconds since the segment's start, u32 length, that many bytes (one whole RFB server
 *            message; the first is the ServerInit, then framebuffer updates)
 *   trailer: u32 milliseconds at the close, u32 0xFFFFFFFF (present when the segment was closed cleanly)
 * A segment cut short (the container killed) ends at its last whole record; repair() then truncates the
 * partial record and appends the trailer at the last record's time.
 */

export const MAGIC = Buffer.from("PAREC\0\0\x01", "latin1");
const END_MARK = 0xffffffff;
export const SEGMENT_SUFFIX = ".vncrec";

export interface SegmentHeader {
    format: "persistent-agents desktop recording";
    version: 1;
    /** Start, Unix milliseconds. */
    startMs: number;
    width: number;
    height: number;
    /** The RFB pixel format the updates are in: noVNC's own (32 bpp, depth 24, little-endian, RGB shifts 0/8/16). */
    pixelFormat: "novnc-rgbx32";
}

export interface SegmentRecord {
    offsetMs: number;
    bytes: Buffer;
}

export interface ParsedSegment {
    header: SegmentHeader;
    records: SegmentRecord[];
    /** Milliseconds from the start to the close (the trailer), or to the last record when cut short. */
    durationMs: number;
    closed: boolean;
    /** Bytes up to the end of the last whole record or the trailer. */
    validLength: number;
}

/** A segment file being written; appends are buffered by the kernel and flushed at close. */
export class SegmentWriter {
    private constructor(
        private readonly file: FileHandle,
        readonly path: string,
        readonly header: SegmentHeader,
        private size: number,
    ) {}

    static async create(path: string, header: SegmentHeader): Promise<SegmentWriter> {
        const file = await open(path, "wx", 0o640);
        const json = Buffer.from(JSON.stringify(header), "utf8");
        const length = Buffer.alloc(4);
        length.writeUInt32BE(json.length);
        const head = Buffer.concat([MAGIC, length, json]);
        await file.write(head);
        return new SegmentWriter(file, path, header, head.length);
    }

    get bytes(): number {
        return this.size;
    }

    async append(atMs: number, message: Buffer): Promise<void> {
        const head = Buffer.alloc(8);
        head.writeUInt32BE(Math.max(0, Math.round(atMs - this.header.startMs)), 0);
        head.writeUInt32BE(message.length, 4);
        await this.file.writev([head, message]);
        this.size += 8 + message.length;
    }

    /** Writes the trailer, flushes to the disk and closes. */
    async close(atMs: number): Promise<void> {
        const trailer = Buffer.alloc(8);
        trailer.writeUInt32BE(Math.max(0, Math.round(atMs - this.header.startMs)), 0);
        trailer.writeUInt32BE(END_MARK, 4);
        await this.file.write(trailer);
        this.size += 8;
        await this.file.sync();
        await this.file.close();
    }
}

/** Reads a segment; never throws on a short tail, only on a file that is not a segment at all. */
export function parseSegment(data: Buffer, withRecords = true): ParsedSegment {
    if (data.length < 12 || !data.subarray(0, 8).equals(MAGIC)) throw new Error("not a recording segment");
    const headerLength = data.readUInt32BE(8);
    if (12 + headerLength > data.length) throw new Error("recording segment header cut short");
    const header = JSON.parse(data.subarray(12, 12 + headerLength).toString("utf8")) as SegmentHeader;
    const records: SegmentRecord[] = [];
    let offset = 12 + headerLength;
    let durationMs = 0;
    let closed = false;
    while (offset + 8 <= data.length) {
        const at = data.readUInt32BE(offset);
        const length = data.readUInt32BE(offset + 4);
        if (length === END_MARK) {
            durationMs = at;
            closed = true;
            offset += 8;
            break;
        }
        if (offset + 8 + length > data.length) break;
        if (withRecords) records.push({ offsetMs: at, bytes: data.subarray(offset + 8, offset + 8 + length) });
        durationMs = at;
        offset += 8 + length;
    }
    return { header, records, durationMs, closed, validLength: offset };
}

/**
 * Closes a segment that was cut short (the container was killed mid-write): drops the partial record
 * and appends the trailer at the last whole record's time. Returns whether anything was changed.
 */
export async function repairSegment(path: string, data: Buffer): Promise<boolean> {
    const parsed = parseSegment(data, false);
    if (parsed.closed) return false;
    const file = await open(path, "r+");
    try {
        await file.truncate(parsed.validLength);
        const trailer = Buffer.alloc(8);
        trailer.writeUInt32BE(parsed.durationMs, 0);
        trailer.writeUInt32BE(END_MARK, 4);
        await file.write(trailer, 0, 8, parsed.validLength);
        await file.sync();
    } finally {
        await file.close();
    }
    return true;
}

/** File name of a segment started at `startMs`: sorts by time (UTC, milliseconds). */
export function segmentName(startMs: number): string {
    return `${new Date(startMs).toISOString().replace(/[-:]/g, "").replace(".", "")}${SEGMENT_SUFFIX}`;
}
