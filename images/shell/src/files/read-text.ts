import type { FileHandle } from "node:fs/promises";
import { ToolInputError } from "../tool-result.js";

/** Most text returned by one read_file call, however long its lines; the agent pages on with `offset`. */
export const MAX_TEXT_BYTES = 4 * 1024 * 1024;
// Read in chunks: memory stays bounded by the cap and each step leaves the event loop free.
const CHUNK_BYTES = 1024 * 1024;
const BINARY_SNIFF_BYTES = 8000;
const NEWLINE = 0x0a;

export interface TextSlice {
    text: string;
    firstLine: number;
    lastLine: number;
    /** True when the file goes on after lastLine. */
    more: boolean;
    /** Set when the first requested line alone exceeds the cap: only its start is in `text`. */
    cutLine?: { line: number; bytes: number; shownBytes: number };
}

/**
 * Lines [offset, offset+limit) (1-based) of an open file, at most MAX_TEXT_BYTES of them. A line that
 * does not fit after others waits for the next call; a first line longer than the cap is cut (and
 * reported), so no input makes the server hold more than the cap. The lines returned are one
 * contiguous byte range of the file: the scan only looks for newlines, then that range is decoded once.
 */
export async function readTextSlice(
    file: FileHandle,
    filePath: string,
    size: number,
    offset: number,
    limit: number | undefined,
): Promise<TextSlice> {
    // A file within the cap is read in one go (one thread-pool round trip); larger ones chunk by chunk.
    const chunk = Buffer.allocUnsafe(Math.max(1, size <= MAX_TEXT_BYTES ? size : CHUNK_BYTES));
    let chunkStart = 0; // file offset of chunk[0]
    let chunkLength = (await file.read(chunk, 0, chunk.length, 0)).bytesRead;
    if (chunk.subarray(0, Math.min(chunkLength, BINARY_SNIFF_BYTES)).includes(0)) {
        throw new ToolInputError(
            `path '${filePath}' is a binary file (${size} bytes); inspect it with run_command (e.g. xxd, file, base64)`,
        );
    }
    if (offset === 1 && limit === undefined && size <= MAX_TEXT_BYTES && chunkLength === size) {
        // The common case, a whole small file: already read, only its lines need counting.
        let lines = 0;
        for (let at = chunk.indexOf(NEWLINE, 0); at !== -1 && at < chunkLength; at = chunk.indexOf(NEWLINE, at + 1))
            lines++;
        if (chunkLength > 0 && chunk[chunkLength - 1] !== NEWLINE) lines++;
        return { text: chunk.toString("utf8", 0, chunkLength), firstLine: 1, lastLine: lines, more: false };
    }
    const lastWanted = limit === undefined ? Infinity : offset + limit - 1;
    let lineNumber = 1;
    let lineStart = 0; // file offset where the current line starts
    let pickStart = -1; // file offset where the returned range starts (the first wanted line)
    let pickEnd = -1;
    let pickedLines = 0;
    let cutLine: TextSlice["cutLine"];

    const slice = async (more: boolean): Promise<TextSlice> => {
        let bytes: Buffer = Buffer.alloc(0);
        if (pickedLines > 0) {
            if (pickStart >= chunkStart && pickEnd <= chunkStart + chunkLength) {
                bytes = chunk.subarray(pickStart - chunkStart, pickEnd - chunkStart);
            } else {
                bytes = Buffer.allocUnsafe(pickEnd - pickStart);
                bytes = bytes.subarray(0, (await file.read(bytes, 0, bytes.length, pickStart)).bytesRead);
            }
        }
        if (cutLine) {
            bytes = utf8Boundary(bytes);
            cutLine.shownBytes = bytes.length;
        }
        return { text: bytes.toString("utf8"), firstLine: offset, lastLine: offset + pickedLines - 1, more, cutLine };
    };

    /** The current line ends at `end` (exclusive, newline included if any): pick it or stop. */
    const endLine = (end: number, contentBytes: number): "continue" | "stop" | "defer" => {
        if (lineNumber >= offset && lineNumber <= lastWanted) {
            if (pickStart < 0) pickStart = lineStart;
            if (end - pickStart <= MAX_TEXT_BYTES) {
                pickEnd = end;
                pickedLines++;
            } else if (pickedLines > 0) {
                return "defer"; // the line starts the next page
            } else {
                pickEnd = pickStart + MAX_TEXT_BYTES;
                pickedLines++;
                cutLine = { line: lineNumber, bytes: contentBytes, shownBytes: 0 };
                return "stop";
            }
        }
        lineNumber++;
        lineStart = end;
        if (lineNumber > lastWanted || (pickedLines > 0 && pickEnd - pickStart >= MAX_TEXT_BYTES)) return "stop";
        return "continue";
    };

    for (;;) {
        for (let at = chunk.indexOf(NEWLINE, 0); at !== -1 && at < chunkLength; at = chunk.indexOf(NEWLINE, at + 1)) {
            const newline = chunkStart + at;
            const verdict = endLine(newline + 1, newline - lineStart);
            if (verdict === "defer") return slice(true);
            if (verdict === "stop") return slice((cutLine ? newline + 1 : lineStart) < size);
        }
        const scanned = chunkStart + chunkLength;
        // A wanted line that can no longer fit after the lines already picked: no need to find its end.
        if (pickedLines > 0 && lineNumber <= lastWanted && scanned - pickStart > MAX_TEXT_BYTES) return slice(true);
        if (scanned >= size || chunkLength === 0) break;
        chunkStart = scanned;
        chunkLength = (await file.read(chunk, 0, chunk.length, chunkStart)).bytesRead;
        if (chunkLength === 0) break;
    }
    const end = chunkStart + chunkLength;
    if (end > lineStart) {
        // A last line without a newline.
        const verdict = endLine(end, end - lineStart);
        if (verdict === "defer") return slice(true);
        if (verdict === "stop") return slice(false);
    }
    const totalLines = lineNumber - 1;
    if (pickedLines === 0 && offset > 1 && offset > totalLines) {
        throw new ToolInputError(`offset ${offset} is past the end of the file (${totalLines} lines)`);
    }
    return slice(false);
}

/** The longest prefix of `bytes` that does not end inside a multi-byte UTF-8 character. */
function utf8Boundary(bytes: Buffer): Buffer {
    for (let back = 1; back <= Math.min(3, bytes.length); back++) {
        const byte = bytes[bytes.length - back];
        if ((byte & 0xc0) === 0x80) continue;
        const needed = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
        return needed > back ? bytes.subarray(0, bytes.length - back) : bytes;
    }
    return bytes;
}
