import { createHash, timingSafeEqual } from "node:crypto";
import { readFile, stat } from "node:fs/promises";

/**
 * Bearer token read from a mounted Secret file. Kubernetes rotates Secret volumes by swapping a
 * symlink, so the file is stat'ed on every check and re-read when inode, size or mtime change.
 */
export class TokenFile {
  private fingerprint = "";
  private tokenDigest: Buffer | undefined;

  constructor(readonly path: string) {}

  /** Loads the token; throws with a readable message when the file is missing or empty. */
  async load(): Promise<void> {
    const info = await stat(this.path);
    const fingerprint = `${info.ino}:${info.size}:${info.mtimeMs}`;
    if (fingerprint === this.fingerprint && this.tokenDigest) return;
    const token = (await readFile(this.path, "utf8")).trim();
    if (!token) throw new Error(`token file ${this.path} is empty`);
    this.tokenDigest = digest(token);
    this.fingerprint = fingerprint;
  }

  async accepts(authorizationHeader: string | undefined): Promise<boolean> {
    try {
      await this.load();
    } catch {
      // Keep the last good token if the file is briefly absent during a rotation.
      if (!this.tokenDigest) return false;
    }
    const match = /^Bearer\s+(.+)$/i.exec(authorizationHeader ?? "");
    if (!match || !this.tokenDigest) return false;
    // Comparing fixed-size digests keeps the comparison constant-time regardless of token length.
    return timingSafeEqual(digest(match[1].trim()), this.tokenDigest);
  }
}

function digest(value: string): Buffer {
  return createHash("sha256").update(value, "utf8").digest();
}
