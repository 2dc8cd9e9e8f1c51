import type { Duplex } from "node:stream";

/**
 * Reads exact byte counts from a stream during a handshake, then hands the stream back with whatever
 * arrived past the last read, so the caller can switch to piping.
 */
export class ByteReader {
    private buffered: Buffer = Buffer.alloc(0);
    private waiting: { size: number; resolve: (data: Buffer) => void; reject: (error: Error) => void } | undefined;
    private failure: Error | undefined;
    private readonly onData = (chunk: Buffer) => {
        this.buffered = Buffer.concat([this.buffered, chunk]);
        this.settle();
    };
    private readonly onEnd = () => this.fail(new Error(`${this.what} closed the connection during the handshake`));
    private readonly onError = (error: Error) => this.fail(error);

    constructor(
        private readonly stream: Duplex,
        private readonly what: string,
    ) {
        stream.on("data", this.onData);
        stream.on("end", this.onEnd);
        stream.on("close", this.onEnd);
        stream.on("error", this.onError);
    }

    read(size: number, timeoutMs: number): Promise<Buffer> {
        if (this.waiting) throw new Error("ByteReader: one read at a time");
        return new Promise<Buffer>((resolve, reject) => {
            const timer = setTimeout(() => {
                this.waiting = undefined;
                reject(new Error(`${this.what} sent no ${size}-byte reply within ${timeoutMs} ms`));
            }, timeoutMs);
            this.waiting = {
                size,
                resolve: (data) => {
                    clearTimeout(timer);
                    resolve(data);
                },
                reject: (error) => {
                    clearTimeout(timer);
                    reject(error);
                },
            };
            this.settle();
        });
    }

    /** Stops listening and returns the bytes read ahead; the stream is paused, ready to be piped. */
    release(): Buffer {
        this.stream.off("data", this.onData);
        this.stream.off("end", this.onEnd);
        this.stream.off("close", this.onEnd);
        this.stream.off("error", this.onError);
        this.stream.pause();
        const rest = this.buffered;
        this.buffered = Buffer.alloc(0);
        return rest;
    }

    private fail(error: Error): void {
        this.failure ??= error;
        this.settle();
    }

    private settle(): void {
        const waiting = this.waiting;
        if (!waiting) return;
        if (this.buffered.length >= waiting.size) {
            this.waiting = undefined;
            const data = this.buffered.subarray(0, waiting.size);
            this.buffered = this.buffered.subarray(waiting.size);
            waiting.resolve(data);
        } else if (this.failure) {
            this.waiting = undefined;
            waiting.reject(this.failure);
        }
    }
}
