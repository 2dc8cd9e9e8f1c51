import { readFile, stat } from "node:fs/promises";

/**
 * A file mounted from a Secret or ConfigMap volume. The kubelet updates those in place by swapping a
 * symlink, so the file is stat'ed on every read and read again only when inode, size or mtime change.
 */
export class MountedFile {
    private fingerprint = "";
    private content: string | undefined;

    constructor(readonly path: string) {}

    /** The trimmed content; throws a readable error when the file is missing or unreadable. */
    async read(): Promise<string> {
        const info = await stat(this.path);
        const fingerprint = `${info.ino}:${info.size}:${info.mtimeMs}`;
        if (fingerprint !== this.fingerprint || this.content === undefined) {
            this.content = (await readFile(this.path, "utf8")).trim();
            this.fingerprint = fingerprint;
        }
        return this.content;
    }
}

/** A secret value: the last good one is kept while the file is briefly absent during a rotation. */
export class SecretFile {
    private readonly file: MountedFile;
    private lastGood: string | undefined;

    constructor(
        path: string,
        private readonly what: string,
    ) {
        this.file = new MountedFile(path);
    }

    get path(): string {
        return this.file.path;
    }

    async value(): Promise<string> {
        try {
            const value = await this.file.read();
            if (!value) throw new Error(`${this.what} file ${this.file.path} is empty`);
            this.lastGood = value;
        } catch (error) {
            if (this.lastGood === undefined) throw error;
        }
        return this.lastGood!;
    }
}
