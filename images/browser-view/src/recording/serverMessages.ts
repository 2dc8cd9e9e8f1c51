/**
 * Streaming parser of the RFB server-to-client messages the recorder asks for (RFC 6143 section 7.6,
 * and the Tight encoding as TigerVNC sends it and noVNC decodes it): it finds where each message ends,
 * so that the recorder can keep framebuffer updates whole, drop the rest (clipboard text, bells) and ask
 * for the next update only when one is complete. Nothing is decoded.
 *
 * Work and memory are linear in the bytes pushed: bytes are queued as they come and each is copied once,
 * into the message it belongs to.
 */

export const SERVER_MESSAGE = {
    framebufferUpdate: 0,
    setColourMapEntries: 1,
    bell: 2,
    serverCutText: 3,
} as const;

const ENCODING = {
    raw: 0,
    copyRect: 1,
    tight: 7,
    desktopSize: -223,
    lastRect: -224,
    extendedDesktopSize: -308,
} as const;

/** Tight's TPIXEL is 3 bytes for the pixel format the recorder sets (32 bpp, depth 24, maxima 255). */
const TPIXEL = 3;
const BYTES_PER_PIXEL = 4;

class RfbServerError extends Error {}

export interface ServerMessage {
    type: number;
    bytes: Buffer;
}

/** A parse step: the byte count it needs next (it receives exactly those bytes). */
type Parse = Generator<number, void, Buffer>;

export class ServerMessageParser {
    /**
     * Chunks not yet taken, from `head` on. Consumed chunks are skipped by moving `head` and dropped in
     * one slice once they are the larger part: `shift()` copies a large array, which made a message
     * arriving in 200 000 one-byte chunks quadratic (20 s of CPU on the CI machine).
     */
    private queue: Buffer[] = [];
    private head = 0;
    private queued = 0;
    /** Bytes of the current message taken so far. */
    private pieces: Buffer[] = [];
    private current: Parse | undefined;
    private wanted = 0;
    private type = -1;

    /** Takes the next bytes from the server; returns the messages they complete. */
    push(chunk: Buffer): ServerMessage[] {
        if (chunk.length) {
            this.queue.push(chunk);
            this.queued += chunk.length;
        }
        const out: ServerMessage[] = [];
        for (;;) {
            if (!this.current) {
                if (this.queued < 1) break;
                this.type = this.queue[this.head][0];
                this.current = message(this.type);
                this.wanted = this.current.next(Buffer.alloc(0)).value as number;
            }
            if (this.queued < this.wanted) break;
            const step = this.current.next(this.take(this.wanted));
            if (step.done) {
                out.push({ type: this.type, bytes: Buffer.concat(this.pieces) });
                this.pieces = [];
                this.current = undefined;
            } else {
                this.wanted = step.value;
            }
        }
        return out;
    }

    /** Removes `size` bytes from the queue (copied once, unless they lie in one chunk) and keeps them. */
    private take(size: number): Buffer {
        if (size === 0) return Buffer.alloc(0);
        let taken: Buffer;
        const first = this.queue[this.head];
        if (first.length >= size) {
            taken = first.subarray(0, size);
            this.queue[this.head] = first.subarray(size);
            if (!this.queue[this.head].length) this.dropHead();
        } else {
            taken = Buffer.allocUnsafe(size);
            let filled = 0;
            while (filled < size) {
                const chunk = this.queue[this.head];
                const copied = chunk.copy(taken, filled, 0, Math.min(chunk.length, size - filled));
                filled += copied;
                if (copied === chunk.length) this.dropHead();
                else this.queue[this.head] = chunk.subarray(copied);
            }
        }
        this.queued -= size;
        this.pieces.push(taken);
        return taken;
    }

    private dropHead(): void {
        this.head++;
        if (this.head === this.queue.length) {
            this.queue = [];
            this.head = 0;
        } else if (this.head >= 1024 && this.head * 2 >= this.queue.length) {
            this.queue = this.queue.slice(this.head);
            this.head = 0;
        }
    }
}

function* message(type: number): Parse {
    switch (type) {
        case SERVER_MESSAGE.framebufferUpdate: {
            const header = yield 4;
            const count = header.readUInt16BE(2);
            for (let i = 0; i < count; i++) {
                const rect = yield 12;
                const width = rect.readUInt16BE(4);
                const height = rect.readUInt16BE(6);
                const encoding = rect.readInt32BE(8);
                if (encoding === ENCODING.lastRect) return;
                yield* rectangle(encoding, width, height);
            }
            return;
        }
        case SERVER_MESSAGE.setColourMapEntries: {
            const header = yield 6;
            yield 6 * header.readUInt16BE(4);
            return;
        }
        case SERVER_MESSAGE.bell:
            yield 1;
            return;
        case SERVER_MESSAGE.serverCutText: {
            const header = yield 8;
            // A negative length marks the extended clipboard format; its size is the absolute value.
            yield Math.abs(header.readInt32BE(4));
            return;
        }
        default:
            throw new RfbServerError(`unexpected RFB server message type ${type}`);
    }
}

function* rectangle(encoding: number, width: number, height: number): Parse {
    switch (encoding) {
        case ENCODING.raw:
            yield width * height * BYTES_PER_PIXEL;
            return;
        case ENCODING.copyRect:
            yield 4;
            return;
        case ENCODING.desktopSize:
            return;
        case ENCODING.extendedDesktopSize: {
            const header = yield 4;
            yield 16 * header[0];
            return;
        }
        case ENCODING.tight:
            yield* tight(width, height);
            return;
        default:
            throw new RfbServerError(`unexpected rectangle encoding ${encoding}`);
    }
}

/** Tight (RFC 6143 section 7.7.4 does not cover it; the TightVNC protocol as noVNC's decoder reads it). */
function* tight(width: number, height: number): Parse {
    const control = (yield 1)[0] >> 4;
    if (control === 0x08) {
        yield TPIXEL; // fill
        return;
    }
    if (control === 0x09) {
        yield* compactData(); // JPEG
        return;
    }
    if (control > 0x09) throw new RfbServerError(`unexpected Tight compression control ${control}`);
    // Basic compression: an optional filter (copy, palette, gradient), then the pixels, raw when short.
    let rowBits = width * TPIXEL * 8;
    if (control & 0x04) {
        const filter = (yield 1)[0];
        if (filter === 1) {
            const colours = (yield 1)[0] + 1;
            yield colours * TPIXEL;
            rowBits = colours === 2 ? width : width * 8;
        } else if (filter !== 0 && filter !== 2) {
            throw new RfbServerError(`unexpected Tight filter ${filter}`);
        }
    }
    const size = Math.ceil(rowBits / 8) * height;
    if (size < 12) yield size;
    else yield* compactData();
}

/** Tight's compact length (1 to 3 bytes, 7 bits each but the third) and the bytes it counts. */
function* compactData(): Parse {
    let length = 0;
    for (let i = 0; i < 3; i++) {
        const byte = (yield 1)[0];
        length |= (i === 2 ? byte : byte & 0x7f) << (7 * i);
        if (i === 2 || !(byte & 0x80)) break;
    }
    yield length;
}
