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
 * reported), so no input makes the server hold more than the cap.
 */
export async function readTextSlice(
  file: FileHandle,
  filePath: string,
  size: number,
  offset: number,
  limit: number | undefined,
): Promise<TextSlice> {
  const chunk = Buffer.allocUnsafe(CHUNK_BYTES);
  const sniff = await file.read(chunk, 0, Math.min(BINARY_SNIFF_BYTES, CHUNK_BYTES), 0);
  if (chunk.subarray(0, sniff.bytesRead).includes(0)) {
    throw new ToolInputError(
      `path '${filePath}' is a binary file (${size} bytes); inspect it with run_command (e.g. xxd, file, base64)`,
    );
  }
  const lastWanted = limit === undefined ? Infinity : offset + limit - 1;
  const picked: Buffer[] = [];
  let pickedBytes = 0;
  let pickedLines = 0;
  let lineNumber = 1;
  let line: Buffer[] = []; // the kept bytes of the current line, while it is a wanted one
  let lineKept = 0;
  let lineBytes = 0;
  let cutLine: TextSlice["cutLine"];
  const wanted = () => lineNumber >= offset && lineNumber <= lastWanted;
  const finish = (more: boolean): TextSlice => ({
    text: Buffer.concat(picked).toString("utf8"),
    firstLine: offset,
    lastLine: offset + pickedLines - 1,
    more,
    cutLine,
  });

  /** Ends the current line; returns the slice when reading stops here. */
  const endLine = (newline: boolean, consumed: number): TextSlice | undefined => {
    if (wanted()) {
      const fits = lineKept === lineBytes && pickedBytes + lineBytes + (newline ? 1 : 0) <= MAX_TEXT_BYTES;
      if (fits) {
        picked.push(...line);
        if (newline) picked.push(Buffer.from("\n"));
        pickedBytes += lineBytes + (newline ? 1 : 0);
        pickedLines++;
      } else if (pickedLines > 0) {
        return finish(true); // the line starts the next page
      } else {
        // The first wanted line alone is over the cap: show its start, cut on a character boundary.
        const shown = utf8Boundary(Buffer.concat(line));
        picked.push(shown);
        pickedLines++;
        cutLine = { line: lineNumber, bytes: lineBytes, shownBytes: shown.length };
        return finish(consumed < size);
      }
    }
    line = [];
    lineKept = 0;
    lineBytes = 0;
    lineNumber++;
    if (lineNumber > lastWanted || pickedBytes >= MAX_TEXT_BYTES) return finish(consumed < size);
    return undefined;
  };

  let position = 0;
  for (;;) {
    const { bytesRead } = await file.read(chunk, 0, CHUNK_BYTES, position);
    if (bytesRead === 0) break;
    let start = 0;
    while (start < bytesRead) {
      const found = chunk.indexOf(NEWLINE, start);
      const end = found === -1 || found >= bytesRead ? bytesRead : found;
      lineBytes += end - start;
      if (wanted()) {
        const take = Math.max(0, Math.min(end - start, MAX_TEXT_BYTES - pickedBytes - lineKept));
        if (take > 0) line.push(Buffer.from(chunk.subarray(start, start + take)));
        lineKept += take;
        // Lines already picked and this one no longer fits: stop without reading the rest of it.
        if (lineKept < lineBytes && pickedLines > 0) return finish(true);
      }
      if (end === bytesRead) break; // the line goes on in the next chunk
      start = end + 1;
      const result = endLine(true, position + start);
      if (result) return result;
    }
    position += bytesRead;
  }
  if (lineBytes > 0) {
    const result = endLine(false, position);
    if (result) return result;
  }
  const totalLines = lineNumber - 1;
  if (pickedLines === 0 && offset > 1 && offset > totalLines) {
    throw new ToolInputError(`offset ${offset} is past the end of the file (${totalLines} lines)`);
  }
  return finish(false);
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
