import { createHash, timingSafeEqual } from "node:crypto";
import { readFile, stat } from "node:fs/promises";

/**
 * Bearer token read from a mounted Secret file. Kubernetes rotates Secret volumes by swapping a
 * symlink, so the file is stat'ed on every check and re-read when inode, size or mtime change.
 *
 * Fails closed, the same rule as the computer-control sidecar: while the file is missing, unreadable
 * or empty, no request is accepted and the server reports itself unhealthy. (A rotation swaps the
 * symlink atomically, so a correct mount never shows a missing file.)
 */
export class TokenFile {
    private fingerprint = "";
    private tokenDigest: Buffer | undefined;

    constructor(readonly path: string) {}

    /** Loads the token; throws with a readable message when the file is missing or empty. */
    async load(): Promise<void> {
        try {
            const info = await stat(this.path);
            const fingerprint = `${info.ino}:${info.size}:${info.mtimeMs}`;
            if (fingerprint === this.fingerprint && this.tokenDigest) return;
            const token = (await readFile(this.path, "utf8")).trim();
            if (!token) throw new Error(`token file ${this.path} is empty`);
            this.tokenDigest = digest(token);
            this.fingerprint = fingerprint;
        } catch (error) {
            this.tokenDigest = undefined;
            this.fingerprint = "";
            throw error;
        }
    }

    /** True while the file holds a token (what /healthz reports). */
    async usable(): Promise<boolean> {
        return this.load().then(
            () => true,
            () => false,
        );
    }

    async accepts(authorizationHeader: string | undefined): Promise<boolean> {
        if (!(await this.usable()) || !this.tokenDigest) return false;
        const match = /^Bearer\s+(.+)$/i.exec(authorizationHeader ?? "");
        if (!match) return false;
        // Comparing fixed-size digests keeps the comparison constant-time regardless of token length.
        return timingSafeEqual(digest(match[1].trim()), this.tokenDigest);
    }
}

function digest(value: string): Buffer {
    return createHash("sha256").update(value, "utf8").digest();
}
