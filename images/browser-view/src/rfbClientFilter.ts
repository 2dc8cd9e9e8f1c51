/**
 * Streaming parser of the RFB client-to-server messages (RFC 6143 section 7.5 plus the extensions noVNC
 * sends), used to enforce the view-only mode on the server side: noVNC's own `viewOnly` flag only stops
 * the page from sending input, a modified page would still send it.
 *
 * Every message is parsed to its end so that the stream stays in step; input messages are dropped while
 * the mode is view-only; a message type this parser does not know ends the connection, because its
 * length is unknown and passing the rest of the stream through unparsed would let input slip by.
 */

export type ViewMode = "view-only" | "interactive";

export const CLIENT_MESSAGE = {
    setPixelFormat: 0,
    setEncodings: 2,
    framebufferUpdateRequest: 3,
    keyEvent: 4,
    pointerEvent: 5,
    clientCutText: 6,
    enableContinuousUpdates: 150,
    clientFence: 248,
    xvp: 250,
    setDesktopSize: 251,
    qemu: 255,
} as const;

/** Messages that act on the desktop: input, clipboard, resolution changes, XVP power operations. */
const INPUT_MESSAGES = new Set<number>([
    CLIENT_MESSAGE.keyEvent,
    CLIENT_MESSAGE.pointerEvent,
    CLIENT_MESSAGE.clientCutText,
    CLIENT_MESSAGE.xvp,
    CLIENT_MESSAGE.setDesktopSize,
    CLIENT_MESSAGE.qemu,
]);

/**
 * Pseudo-encodings removed from SetEncodings. ExtendedMouseButtons makes PointerEvent 7 bytes long when
 * its marker bit is set, which a stream parser cannot tell apart from button 8 of a plain PointerEvent;
 * without it every PointerEvent is 6 bytes.
 */
const STRIPPED_ENCODINGS = new Set<number>([-316]);

/** Clipboard text a viewer may send in one message; larger ones end the connection. */
export const MAX_CLIPBOARD_BYTES = 1 << 20;

export class RfbProtocolError extends Error {}

export interface FilterCounters {
    forwarded: number;
    dropped: number;
}

export class RfbClientFilter {
    private pending: Buffer = Buffer.alloc(0);
    readonly counters: FilterCounters = { forwarded: 0, dropped: 0 };

    /** `currentMode` is asked once per message, so a mode switch applies to the next message. */
    constructor(private readonly currentMode: () => ViewMode) {}

    /** Takes the next bytes from the viewer; returns the bytes to send to the VNC server. */
    push(chunk: Buffer): Buffer[] {
        this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
        const out: Buffer[] = [];
        let offset = 0;
        for (;;) {
            const length = messageLength(this.pending, offset);
            if (length === undefined || offset + length > this.pending.length) break;
            const message = this.pending.subarray(offset, offset + length);
            offset += length;
            const type = message[0];
            if (INPUT_MESSAGES.has(type) && this.currentMode() !== "interactive") {
                this.counters.dropped++;
                continue;
            }
            this.counters.forwarded++;
            out.push(type === CLIENT_MESSAGE.setEncodings ? withoutStrippedEncodings(message) : message);
        }
        // Copy the unparsed tail so that the large chunk it came from can be freed.
        this.pending = Buffer.from(this.pending.subarray(offset));
        return out;
    }
}

/** Length of the message starting at `offset`, or undefined when more bytes are needed to know it. */
function messageLength(buffer: Buffer, offset: number): number | undefined {
    const available = buffer.length - offset;
    if (available < 1) return undefined;
    const type = buffer[offset];
    switch (type) {
        case CLIENT_MESSAGE.setPixelFormat:
            return 20;
        case CLIENT_MESSAGE.setEncodings:
            return available < 4 ? undefined : 4 + 4 * buffer.readUInt16BE(offset + 2);
        case CLIENT_MESSAGE.framebufferUpdateRequest:
            return 10;
        case CLIENT_MESSAGE.keyEvent:
            return 8;
        case CLIENT_MESSAGE.pointerEvent:
            return 6;
        case CLIENT_MESSAGE.clientCutText: {
            if (available < 8) return undefined;
            // A negative length marks the extended clipboard format; its size is the absolute value.
            const size = Math.abs(buffer.readInt32BE(offset + 4));
            if (size > MAX_CLIPBOARD_BYTES) {
                throw new RfbProtocolError(
                    `ClientCutText of ${size} bytes exceeds the ${MAX_CLIPBOARD_BYTES}-byte limit`,
                );
            }
            return 8 + size;
        }
        case CLIENT_MESSAGE.enableContinuousUpdates:
            return 10;
        case CLIENT_MESSAGE.clientFence:
            return available < 9 ? undefined : 9 + buffer[offset + 8];
        case CLIENT_MESSAGE.xvp:
            return 4;
        case CLIENT_MESSAGE.setDesktopSize:
            return available < 7 ? undefined : 8 + 16 * buffer[offset + 6];
        case CLIENT_MESSAGE.qemu: {
            if (available < 2) return undefined;
            // Submessage 0 is the extended key event, the only one noVNC sends.
            if (buffer[offset + 1] === 0) return 12;
            throw new RfbProtocolError(`unsupported QEMU client message subtype ${buffer[offset + 1]}`);
        }
        default:
            throw new RfbProtocolError(`unsupported RFB client message type ${type}`);
    }
}

function withoutStrippedEncodings(message: Buffer): Buffer {
    const count = message.readUInt16BE(2);
    const kept: number[] = [];
    for (let i = 0; i < count; i++) {
        const encoding = message.readInt32BE(4 + 4 * i);
        if (!STRIPPED_ENCODINGS.has(encoding)) kept.push(encoding);
    }
    if (kept.length === count) return message;
    const rewritten = Buffer.alloc(4 + 4 * kept.length);
    rewritten[0] = CLIENT_MESSAGE.setEncodings;
    rewritten.writeUInt16BE(kept.length, 2);
    kept.forEach((encoding, i) => rewritten.writeInt32BE(encoding, 4 + 4 * i));
    return rewritten;
}
