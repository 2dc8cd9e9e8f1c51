import type { IncomingMessage } from "node:http";

/**
 * Largest request body accepted. The biggest legitimate body is a write_file or edit_file call; 16 MiB
 * leaves room for a few MiB of text after JSON escaping while bounding what one request can buffer.
 */
const MAX_BODY_BYTES = 16 * 1024 * 1024;

export class BodyTooLargeError extends Error {
    constructor() {
        super(`request body over ${MAX_BODY_BYTES} bytes; write large files in parts (write_file with append=true)`);
    }
}

/** True when the request announces a body over the limit: answer 413 before reading any of it. */
export function announcesTooLargeBody(req: IncomingMessage): boolean {
    const declared = Number(req.headers["content-length"] ?? 0);
    return Number.isFinite(declared) && declared > MAX_BODY_BYTES;
}

/**
 * Reads a JSON body, refusing at MAX_BODY_BYTES for bodies sent without Content-Length. Past the limit
 * the rest is discarded as it arrives (the stream is not destroyed: the connection must stay up to
 * carry the 413).
 */
export function readJsonBody(req: IncomingMessage): Promise<unknown> {
    return new Promise((resolve, reject) => {
        const chunks: Buffer[] = [];
        let size = 0;
        let refused = false;
        req.on("data", (chunk: Buffer) => {
            if (refused) return;
            size += chunk.length;
            if (size > MAX_BODY_BYTES) {
                refused = true;
                chunks.length = 0;
                reject(new BodyTooLargeError());
                return;
            }
            chunks.push(chunk);
        });
        req.once("end", () => {
            if (refused) return;
            try {
                resolve(JSON.parse(Buffer.concat(chunks).toString("utf8")));
            } catch (error) {
                reject(error);
            }
        });
        req.once("error", reject);
    });
}
