import { mkdir } from "node:fs/promises";
import type { Socket } from "node:net";
import { join } from "node:path";
import { openVncSession } from "../vncClient.js";
import { type Retention, applyRetention, repairAll } from "./retention.js";
import { type SegmentHeader, SegmentWriter, segmentName } from "./segmentFile.js";
import { SERVER_MESSAGE, ServerMessageParser } from "./serverMessages.js";

/**
 * Records the desktop as RFB: one more VNC client of the desktop's Xvnc, inside the pod, that asks for
 * framebuffer updates in the encoding and pixel format noVNC decodes (so the replay page plays them with
 * the noVNC it already serves) and writes them, timed, to segment files on the agent's volume.
 *
 * - Rate: the next update is asked at most `fps` times a second; the server merges what changed in
 *   between, so a busy screen costs at most `fps` updates a second whatever it does.
 * - The cursor is drawn into the framebuffer by the server (no cursor pseudo-encoding), so the replay
 *   shows where the agent pointed.
 * - Segments: a new VNC connection every `segmentSeconds` (fresh zlib streams, a full first update), so a
 *   segment decodes on its own and a seek replays at most one segment.
 * - Clipboard text and bells the server sends are not kept (only framebuffer updates are).
 * - `shouldRecord()` is asked every second: while it says no (a person has taken over), the segment is
 *   closed and none is open.
 * - Stopping closes the open segment cleanly (trailer, fsync); a segment cut short by a kill is closed
 *   at the next start (repairAll).
 */

export interface RecorderSettings {
    vncHost: string;
    vncPort: number;
    vncPassword: () => Promise<string>;
    dir: string;
    fps: number;
    segmentSeconds: number;
    retention: Retention;
    /** False while recording is not allowed (a person has taken over in interactive mode). */
    shouldRecord: () => boolean;
    log: (event: object) => void;
}

/** noVNC's pixel format (core/rfb.js RFB.messages.pixelFormat, depth 24): what its decoders expect. */
const SET_PIXEL_FORMAT = Buffer.from([0, 0, 0, 0, 32, 24, 0, 1, 0, 255, 0, 255, 0, 255, 0, 8, 16, 0, 0, 0]);
/** Tight (JPEG quality 6, compression 2: noVNC's defaults), CopyRect, Raw; desktop size changes; LastRect. */
const ENCODINGS = [7, 1, 0, -32 + 6, -256 + 2, -223, -308, -224];
const RETRY_MS = 2_000;
const POLICY_CHECK_MS = 1_000;

export class Recorder {
    private running = false;
    private current: { close: (why: string) => Promise<void> } | undefined;
    private loop: Promise<void> | undefined;
    private wake: (() => void) | undefined;

    constructor(private readonly settings: RecorderSettings) {}

    async start(): Promise<void> {
        await mkdir(this.settings.dir, { recursive: true });
        const repaired = await repairAll(this.settings.dir);
        if (repaired.length) this.settings.log({ event: "recording-repaired", segments: repaired });
        this.running = true;
        this.loop = this.run();
    }

    /** Closes the open segment cleanly and stops. */
    async stop(): Promise<void> {
        this.running = false;
        this.wake?.();
        await this.current?.close("stopping");
        await this.loop;
    }

    private async run(): Promise<void> {
        while (this.running) {
            if (!this.settings.shouldRecord()) {
                await this.sleep(POLICY_CHECK_MS);
                continue;
            }
            try {
                const why = await this.recordSegment();
                this.settings.log({ event: "recording-segment-closed", why });
            } catch (error) {
                this.settings.log({ event: "recording-failed", error: (error as Error).message });
                await this.sleep(RETRY_MS);
            }
            await applyRetention(this.settings.dir, this.settings.retention, Date.now(), this.settings.log).catch(
                (error) => this.settings.log({ event: "recording-retention-failed", error: error.message }),
            );
        }
    }

    private sleep(ms: number): Promise<void> {
        return new Promise((resolve) => {
            const timer = setTimeout(resolve, ms);
            this.wake = () => {
                clearTimeout(timer);
                resolve();
            };
        });
    }

    /** One VNC connection, one segment; resolves with why it ended. */
    private async recordSegment(): Promise<string> {
        const { socket, readAhead } = await openVncSession(
            this.settings.vncHost,
            this.settings.vncPort,
            await this.settings.vncPassword(),
        );
        socket.write(Buffer.from([1])); // shared: never disconnect the viewers
        const init = await serverInit(socket, readAhead);
        const startMs = Date.now();
        const header: SegmentHeader = {
            format: "persistent-agents desktop recording",
            version: 1,
            startMs,
            width: init.width,
            height: init.height,
            pixelFormat: "novnc-rgbx32",
        };
        const writer = await SegmentWriter.create(join(this.settings.dir, segmentName(startMs)), header);
        this.settings.log({ event: "recording-segment-opened", file: writer.path });
        const parser = new ServerMessageParser();
        let writes = writer.append(startMs, init.bytes);
        let ended: ((why: string) => void) | undefined;
        const done = new Promise<string>((resolve) => {
            ended = resolve;
        });
        let closing: Promise<void> | undefined;
        const close = (why: string): Promise<void> => {
            closing ??= (async () => {
                clearInterval(policy);
                clearTimeout(next);
                socket.destroy();
                await writes.catch(() => undefined);
                await writer.close(Date.now());
                ended!(why);
            })();
            return closing;
        };
        this.current = { close };
        const interval = 1000 / this.settings.fps;
        let asked = Date.now();
        let next: NodeJS.Timeout | undefined;
        const request = (incremental: boolean) => {
            asked = Date.now();
            const message = Buffer.alloc(10);
            message[0] = 3;
            message[1] = incremental ? 1 : 0;
            message.writeUInt16BE(init.width, 6);
            message.writeUInt16BE(init.height, 8);
            socket.write(message);
        };
        socket.on("data", (chunk: Buffer) => {
            let messages: ReturnType<ServerMessageParser["push"]>;
            try {
                messages = parser.push(chunk);
            } catch (error) {
                void close(`protocol-error: ${(error as Error).message}`);
                return;
            }
            for (const message of messages) {
                if (message.type !== SERVER_MESSAGE.framebufferUpdate) continue;
                const at = Date.now();
                writes = writes.then(() => writer.append(at, message.bytes));
                clearTimeout(next);
                next = setTimeout(() => request(true), Math.max(0, asked + interval - Date.now()));
            }
        });
        socket.on("error", () => void close("vnc-error"));
        socket.on("close", () => void close("vnc-closed"));
        const policy = setInterval(() => {
            if (!this.running) void close("stopping");
            else if (!this.settings.shouldRecord()) void close("paused");
            else if (Date.now() - startMs >= this.settings.segmentSeconds * 1000) void close("rotated");
        }, POLICY_CHECK_MS);
        socket.write(SET_PIXEL_FORMAT);
        const encodings = Buffer.alloc(4 + 4 * ENCODINGS.length);
        encodings[0] = 2;
        encodings.writeUInt16BE(ENCODINGS.length, 2);
        ENCODINGS.forEach((encoding, i) => {
            encodings.writeInt32BE(encoding, 4 + 4 * i);
        });
        socket.write(encodings);
        request(false);
        socket.resume();
        const why = await done;
        this.current = undefined;
        return why;
    }
}

/** Reads the ServerInit (24 bytes and the desktop's name) that follows the ClientInit. */
async function serverInit(
    socket: Socket,
    readAhead: Buffer,
): Promise<{ width: number; height: number; bytes: Buffer }> {
    let buffered = readAhead;
    const complete = () => buffered.length >= 24 && buffered.length >= 24 + buffered.readUInt32BE(20);
    if (!complete()) {
        await new Promise<void>((resolve, reject) => {
            const timer = setTimeout(() => fail(new Error("no ServerInit within 10 s")), 10_000);
            const onData = (chunk: Buffer) => {
                buffered = Buffer.concat([buffered, chunk]);
                if (complete()) finish();
            };
            const fail = (error: Error) => {
                finish();
                reject(error);
            };
            const onClose = () => fail(new Error("the VNC server closed the connection before its ServerInit"));
            const finish = () => {
                clearTimeout(timer);
                socket.off("data", onData);
                socket.off("close", onClose);
                socket.pause();
                resolve();
            };
            socket.on("data", onData);
            socket.on("close", onClose);
            socket.resume();
        });
    }
    const length = 24 + buffered.readUInt32BE(20);
    if (buffered.length > length) socket.unshift(buffered.subarray(length));
    return { width: buffered.readUInt16BE(0), height: buffered.readUInt16BE(2), bytes: buffered.subarray(0, length) };
}
