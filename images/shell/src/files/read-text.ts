import { createReadStream } from "node:fs";
import type { FileHandle } from "node:fs/promises";
import { createInterface } from "node:readline";
import { ToolInputError } from "../tool-result.js";

/** Most text returned by one read_file call; the agent pages on with `offset`. */
export const MAX_TEXT_BYTES = 4 * 1024 * 1024;
// Files up to this size are read in one go; larger ones are streamed line by line.
const WHOLE_FILE_LIMIT = 16 * 1024 * 1024;
const BINARY_SNIFF_BYTES = 8000;

export interface TextSlice {
  text: string;
  firstLine: number;
  lastLine: number;
  /** True when the file goes on after lastLine. */
  more: boolean;
}

function looksBinary(head: Buffer): boolean {
  return head.subarray(0, BINARY_SNIFF_BYTES).includes(0);
}

/** Fills a buffer of `size` bytes from an open file; a file that shrank meanwhile yields fewer. */
async function readUpTo(file: FileHandle, size: number): Promise<Buffer> {
  const buffer = Buffer.allocUnsafe(size);
  let filled = 0;
  while (filled < size) {
    const { bytesRead } = await file.read(buffer, filled, size - filled, filled);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return buffer.subarray(0, filled);
}

/**
 * Lines [offset, offset+limit) (1-based) of an open file, capped at MAX_TEXT_BYTES. Reads through
 * the one handle (no separate stat/sniff/read opens): each fs call is a thread-pool round trip.
 */
export async function readTextSlice(
  file: FileHandle,
  filePath: string,
  size: number,
  offset: number,
  limit: number | undefined,
): Promise<TextSlice> {
  const head = await readUpTo(file, Math.min(size, size <= WHOLE_FILE_LIMIT ? size : BINARY_SNIFF_BYTES));
  if (looksBinary(head)) {
    throw new ToolInputError(
      `path '${filePath}' is a binary file (${size} bytes); inspect it with run_command (e.g. xxd, file, base64)`,
    );
  }
  if (size <= WHOLE_FILE_LIMIT) {
    const text = head.toString("utf8");
    if (offset === 1 && limit === undefined && head.length <= MAX_TEXT_BYTES) {
      return { text, firstLine: 1, lastLine: countLines(text), more: false };
    }
    return sliceLines(text.split("\n"), offset, limit);
  }
  return streamLines(filePath, offset, limit);
}

function countLines(text: string): number {
  let lines = 1;
  for (let i = text.indexOf("\n"); i !== -1; i = text.indexOf("\n", i + 1)) lines++;
  return text.endsWith("\n") ? lines - 1 : lines;
}

function sliceLines(lines: string[], offset: number, limit: number | undefined): TextSlice {
  // A trailing newline leaves an empty last element that is not a line of its own.
  const lineCount = lines.length > 0 && lines[lines.length - 1] === "" ? lines.length - 1 : lines.length;
  if (offset > lineCount && !(offset === 1 && lineCount === 0)) {
    throw new ToolInputError(`offset ${offset} is past the end of the file (${lineCount} lines)`);
  }
  const wanted = Math.min(lineCount, limit === undefined ? lineCount : offset - 1 + limit);
  const picked: string[] = [];
  let bytes = 0;
  let line = offset;
  for (; line <= wanted; line++) {
    const text = lines[line - 1];
    bytes += Buffer.byteLength(text) + 1;
    if (bytes > MAX_TEXT_BYTES && picked.length > 0) break;
    picked.push(text);
  }
  const lastLine = offset + picked.length - 1;
  const endsWithNewline = lastLine < lineCount || lines.length > lineCount;
  return { text: picked.join("\n") + (endsWithNewline && picked.length ? "\n" : ""), firstLine: offset, lastLine, more: lastLine < lineCount };
}

async function streamLines(filePath: string, offset: number, limit: number | undefined): Promise<TextSlice> {
  const stream = createReadStream(filePath, { encoding: "utf8" });
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  const picked: string[] = [];
  let bytes = 0;
  let lineNumber = 0;
  let more = false;
  for await (const line of lines) {
    lineNumber++;
    if (lineNumber < offset) continue;
    bytes += Buffer.byteLength(line) + 1;
    if ((limit !== undefined && picked.length >= limit) || (bytes > MAX_TEXT_BYTES && picked.length > 0)) {
      more = true;
      break;
    }
    picked.push(line);
  }
  lines.close();
  stream.destroy();
  if (picked.length === 0 && offset > 1) {
    throw new ToolInputError(`offset ${offset} is past the end of the file (${lineNumber} lines)`);
  }
  return { text: picked.join("\n") + (picked.length ? "\n" : ""), firstLine: offset, lastLine: offset + picked.length - 1, more };
}
