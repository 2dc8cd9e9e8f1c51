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

/**
 * Clipboard text a viewer may send in one message while interactive; a longer one is dropped: skipped as
 * it arrives, never buffered.
 */
export const MAX_CLIPBOARD_BYTES = 1 << 20;
/**
 * While view-only every clipboard message is dropped, and one longer than this ends the connection: a
 * view-only page sends none (noVNC does not while `viewOnly`), so only a hand-made client would stream
 * megabytes for the bridge to skip.
 */
export const VIEW_ONLY_MAX_CLIPBOARD_BYTES = 4 << 10;

/** Enough for the longest prefix that decides a message's length (ClientFence: 9 bytes). */
const MAX_HEADER_BYTES = 16;

export class RfbProtocolError extends Error {}

export interface FilterCounters {
    forwarded: number;
    dropped: number;
    /** Clipboard messages dropped for their size (a subset of `dropped`). */
    oversized: number;
}

/**
 * Work and memory are linear in the bytes pushed, however the viewer splits them: every byte is looked
 * at once and copied at most once (into the message it belongs to), whether it arrives in one chunk or
 * in a million one-byte WebSocket frames. A message is assembled in a buffer of its own exact length
 * (known from its first bytes, at most 256 KiB but for clipboard text) and handed on whole, so that the
 * bridge can put its own messages (the releases of held keys) between two of them.
 */
export class RfbClientFilter {
    readonly counters: FilterCounters = { forwarded: 0, dropped: 0, oversized: 0 };
    /** The first bytes of the next message, until its length is known. */
    private readonly header = Buffer.alloc(MAX_HEADER_BYTES);
    private headerLength = 0;
    /** The message being assembled, and how much of it has arrived. */
    private message: Buffer | undefined;
    private filled = 0;
    /** Bytes still to skip of a message already dropped (clipboard text). */
    private skipping = 0;

    /** `currentMode` is asked once per message, when it is complete, so a mode switch applies to the next message. */
    constructor(private readonly currentMode: () => ViewMode) {}

    /** Takes the next bytes from the viewer; returns the whole messages to send to the VNC server. */
    push(chunk: Buffer): Buffer[] {
        const out: Buffer[] = [];
        let offset = 0;
        while (offset < chunk.length) {
            if (this.skipping > 0) {
                const skipped = Math.min(this.skipping, chunk.length - offset);
                this.skipping -= skipped;
                offset += skipped;
            } else if (this.message) {
                const copied = chunk.copy(this.message, this.filled, offset);
                this.filled += copied;
                offset += copied;
                if (this.filled === this.message.length) this.complete(out);
            } else {
                this.header[this.headerLength++] = chunk[offset++];
                const length = messageLength(this.header, this.headerLength);
                // A message as short as its header (a KeyEvent arriving byte by byte) is complete at once.
                if (length !== undefined && this.begin(length) && this.filled === length) this.complete(out);
            }
        }
        return out;
    }

    /** The first bytes of a message tell its length: drop it unread, or assemble it (true). */
    private begin(length: number): boolean {
        const type = this.header[0];
        if (type === CLIENT_MESSAGE.clientCutText) {
            const interactive = this.currentMode() === "interactive";
            const limit = 8 + (interactive ? MAX_CLIPBOARD_BYTES : VIEW_ONLY_MAX_CLIPBOARD_BYTES);
            if (length > limit && !interactive) {
                throw new RfbProtocolError(
                    `ClientCutText of ${length - 8} bytes while view-only (limit ${VIEW_ONLY_MAX_CLIPBOARD_BYTES})`,
                );
            }
            if (length > limit || !interactive) {
                this.counters.dropped++;
                if (length > limit) this.counters.oversized++;
                this.skipping = length - this.headerLength;
                this.headerLength = 0;
                return false;
            }
        }
        this.message = Buffer.allocUnsafe(length);
        this.filled = this.header.copy(this.message, 0, 0, this.headerLength);
        this.headerLength = 0;
        return true;
    }

    private complete(out: Buffer[]): void {
        const message = this.message!;
        this.message = undefined;
        this.filled = 0;
        const type = message[0];
        if (INPUT_MESSAGES.has(type) && this.currentMode() !== "interactive") {
            this.counters.dropped++;
            return;
        }
        this.counters.forwarded++;
        out.push(type === CLIENT_MESSAGE.setEncodings ? withoutStrippedEncodings(message) : message);
    }
}

/** Length of the message whose first `available` bytes are in `header`, or undefined while more are needed. */
function messageLength(header: Buffer, available: number): number | undefined {
    const type = header[0];
    switch (type) {
        case CLIENT_MESSAGE.setPixelFormat:
            return 20;
        case CLIENT_MESSAGE.setEncodings:
            return available < 4 ? undefined : 4 + 4 * header.readUInt16BE(2);
        case CLIENT_MESSAGE.framebufferUpdateRequest:
            return 10;
        case CLIENT_MESSAGE.keyEvent:
            return 8;
        case CLIENT_MESSAGE.pointerEvent:
            return 6;
        case CLIENT_MESSAGE.clientCutText:
            // A negative length marks the extended clipboard format; its size is the absolute value.
            return available < 8 ? undefined : 8 + Math.abs(header.readInt32BE(4));
        case CLIENT_MESSAGE.enableContinuousUpdates:
            return 10;
        case CLIENT_MESSAGE.clientFence:
            return available < 9 ? undefined : 9 + header[8];
        case CLIENT_MESSAGE.xvp:
            return 4;
        case CLIENT_MESSAGE.setDesktopSize:
            return available < 7 ? undefined : 8 + 16 * header[6];
        case CLIENT_MESSAGE.qemu: {
            if (available < 2) return undefined;
            // Submessage 0 is the extended key event, the only one noVNC sends.
            if (header[1] === 0) return 12;
            throw new RfbProtocolError(`unsupported QEMU client message subtype ${header[1]}`);
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
    kept.forEach((encoding, i) => {
        rewritten.writeInt32BE(encoding, 4 + 4 * i);
    });
    return rewritten;
}
