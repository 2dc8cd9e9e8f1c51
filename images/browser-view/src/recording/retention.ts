import { open, readdir, readFile, stat, unlink } from "node:fs/promises";
import { join } from "node:path";
import { parseSegment, repairSegment, SEGMENT_SUFFIX } from "./segmentFile.js";

/** How much recording an agent keeps: by age and by total size, the oldest segment going first. */
export interface Retention {
    maxAgeMs: number;
    maxBytes: number;
}

interface SegmentFile {
    name: string;
    bytes: number;
    /** Last write: the segment's end. */
    modifiedMs: number;
}

export async function listSegmentFiles(dir: string): Promise<SegmentFile[]> {
    const names = (await readdir(dir)).filter((name) => name.endsWith(SEGMENT_SUFFIX)).sort();
    const files: SegmentFile[] = [];
    for (const name of names) {
        try {
            const info = await stat(join(dir, name));
            files.push({ name, bytes: info.size, modifiedMs: info.mtimeMs });
        } catch {
            // deleted meanwhile
        }
    }
    return files;
}

/**
 * Deletes segments, oldest first (names sort by start time), while the total is over `maxBytes` or the
 * oldest ended more than `maxAgeMs` ago. The newest segment (possibly open) is never deleted.
 */
export async function applyRetention(
    dir: string,
    retention: Retention,
    nowMs: number,
    log: (event: object) => void,
): Promise<string[]> {
    const files = await listSegmentFiles(dir);
    let total = files.reduce((sum, file) => sum + file.bytes, 0);
    const deleted: string[] = [];
    for (const file of files.slice(0, -1)) {
        const tooOld = file.modifiedMs < nowMs - retention.maxAgeMs;
        if (!tooOld && total <= retention.maxBytes) break;
        await unlink(join(dir, file.name)).catch(() => undefined);
        total -= file.bytes;
        deleted.push(file.name);
    }
    if (deleted.length) log({ event: "recording-retention", deleted, keptBytes: total });
    return deleted;
}

/** Whether the file ends in a trailer (its last 4 bytes are the end mark): read without reading the file. */
async function endsInTrailer(path: string, bytes: number): Promise<boolean> {
    if (bytes < 8) return false;
    const file = await open(path, "r");
    try {
        const tail = Buffer.alloc(4);
        await file.read(tail, 0, 4, bytes - 4);
        return tail.readUInt32BE(0) === 0xffffffff;
    } finally {
        await file.close();
    }
}

/** Closes every segment that lacks its trailer (cut short by a kill); run before recording starts. */
export async function repairAll(dir: string): Promise<string[]> {
    const repaired: string[] = [];
    for (const file of await listSegmentFiles(dir)) {
        const path = join(dir, file.name);
        try {
            if (await endsInTrailer(path, file.bytes)) continue;
            const data = await readFile(path);
            if (!parseSegment(data, false).closed && (await repairSegment(path, data))) repaired.push(file.name);
        } catch {
            // not a segment (or unreadable): left alone, the replay skips it
        }
    }
    return repaired;
}
