/**
 * Collects a stream's bytes while holding at most `capBytes` of them: the first half is kept as the
 * head, the last half in a ring buffer as the tail. A command printing gigabytes therefore costs a
 * fixed amount of memory, and the agent still sees how the output started and how it ended.
 */
export class CappedOutput {
    private readonly headLimit: number;
    private readonly tailLimit: number;
    private readonly headChunks: Buffer[] = [];
    private headLength = 0;
    private tail: Buffer | undefined;
    private tailPosition = 0;
    private tailWrapped = false;
    private totalBytes = 0;

    constructor(capBytes: number) {
        this.headLimit = Math.floor(capBytes / 2);
        this.tailLimit = capBytes - this.headLimit;
    }

    get total(): number {
        return this.totalBytes;
    }

    /** True when bytes were dropped; render() may also cut text that would grow too much when escaped. */
    get truncated(): boolean {
        return this.totalBytes > this.headLimit + this.tailLimit;
    }

    push(chunk: Buffer): void {
        this.totalBytes += chunk.length;
        if (this.headLength < this.headLimit) {
            const taken = Math.min(chunk.length, this.headLimit - this.headLength);
            // Copy: the stream may reuse or retain the chunk's underlying memory.
            this.headChunks.push(Buffer.from(chunk.subarray(0, taken)));
            this.headLength += taken;
            chunk = chunk.subarray(taken);
        }
        if (chunk.length > 0 && this.tailLimit > 0) this.pushTail(chunk);
    }

    private pushTail(chunk: Buffer): void {
        this.tail ??= Buffer.alloc(this.tailLimit);
        if (chunk.length >= this.tailLimit) {
            chunk.copy(this.tail, 0, chunk.length - this.tailLimit);
            this.tailPosition = 0;
            this.tailWrapped = true;
            return;
        }
        const firstPart = Math.min(chunk.length, this.tailLimit - this.tailPosition);
        chunk.copy(this.tail, this.tailPosition, 0, firstPart);
        if (firstPart < chunk.length) {
            chunk.copy(this.tail, 0, firstPart);
            this.tailWrapped = true;
        }
        this.tailPosition = (this.tailPosition + chunk.length) % this.tailLimit;
        if (this.tailPosition === 0 && chunk.length > 0) this.tailWrapped = true;
    }

    private tailBytes(): Buffer {
        if (!this.tail) return Buffer.alloc(0);
        if (!this.tailWrapped) return this.tail.subarray(0, this.tailPosition);
        return Buffer.concat([this.tail.subarray(this.tailPosition), this.tail.subarray(0, this.tailPosition)]);
    }

    /**
     * The kept text, at most `capBytes` once JSON-escaped (how it travels to the client: a NUL byte
     * becomes the six characters `\u0000`), with a marker saying how much was left out.
     */
    render(): { text: string; truncated: boolean } {
        const headText = Buffer.concat(this.headChunks).toString("utf8");
        const tailText = this.tailBytes().toString("utf8");
        const head = fitEscaped(headText, this.headLimit, "start");
        const tail = fitEscaped(tailText, this.tailLimit, "end");
        if (!this.truncated && head.length === headText.length && tail.length === tailText.length) {
            return { text: head + tail, truncated: false };
        }
        const shownBytes = Buffer.byteLength(head) + Buffer.byteLength(tail);
        return {
            text: `${head}\n[... ${this.totalBytes - shownBytes} bytes omitted of ${this.totalBytes} ...]\n${tail}`,
            truncated: true,
        };
    }
}

/** Bytes a UTF-16 code unit takes in JSON.stringify's output (surrogate pairs: 2 + 2 = 4 bytes). */
function escapedBytes(code: number): number {
    if (
        code === 0x22 ||
        code === 0x5c ||
        code === 0x08 ||
        code === 0x09 ||
        code === 0x0a ||
        code === 0x0c ||
        code === 0x0d
    )
        return 2;
    if (code < 0x20) return 6;
    if (code < 0x80) return 1;
    if (code < 0x800) return 2;
    if (code >= 0xd800 && code <= 0xdfff) return 2;
    return 3;
}

/** The longest prefix ("start") or suffix ("end") of `text` whose JSON-escaped form fits in `limit` bytes. */
function fitEscaped(text: string, limit: number, keep: "start" | "end"): string {
    let bytes = 0;
    if (keep === "start") {
        for (let i = 0; i < text.length; i++) {
            bytes += escapedBytes(text.charCodeAt(i));
            if (bytes > limit) return text.slice(0, endOnCharacter(text, i));
        }
        return text;
    }
    for (let i = text.length - 1; i >= 0; i--) {
        bytes += escapedBytes(text.charCodeAt(i));
        if (bytes > limit) return text.slice(startOnCharacter(text, i + 1));
    }
    return text;
}

/** Moves a cut at `index` back so that it does not split a surrogate pair. */
function endOnCharacter(text: string, index: number): number {
    const code = text.charCodeAt(index - 1);
    return code >= 0xd800 && code <= 0xdbff ? index - 1 : index;
}

function startOnCharacter(text: string, index: number): number {
    const code = text.charCodeAt(index);
    return code >= 0xdc00 && code <= 0xdfff ? index + 1 : index;
}
