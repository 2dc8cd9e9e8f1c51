import type { Socket } from "node:net";
import { createWebSocketStream, type WebSocket } from "ws";
import { ByteReader } from "./byteReader.js";
import { HeldInput } from "./heldInput.js";
import { CLIENT_MESSAGE, RfbClientFilter, type ViewMode } from "./rfbClientFilter.js";
import { openVncSession } from "./vncClient.js";

/**
 * One viewer: the bridge plays the VNC server towards the browser (RFB 3.8, security type None: the
 * viewer has already proven its session before the WebSocket upgrade) and a VNC client towards the
 * desktop (VncAuth with the mounted password). After the handshake, server-to-viewer bytes are piped
 * untouched and viewer-to-server bytes go through the RFB filter that enforces the mode.
 *
 * Backpressure is per viewer in both directions: a viewer that does not read pauses only its own VNC
 * connection, so one slow browser never holds up another.
 *
 * The viewer's session is asked before every frame is forwarded, and its end (logout, token rotation,
 * expiry, idleness) closes the connection at once. A viewer that answers no WebSocket ping for two
 * intervals is closed (a laptop closed mid-session must not hold a slot). Keys and buttons the viewer
 * holds are released on the desktop when the mode turns view-only and when the viewer goes.
 */

const SECURITY_NONE = 1;
const VIEWER_HANDSHAKE_TIMEOUT_MS = 10_000;
const RELEASE_FLUSH_MS = 1_000;

export interface ViewerSession {
    /** False once the session has ended: the frame is refused and the connection closed. */
    valid(): boolean;
    /** The viewer sent input: a person is there. */
    active(): void;
    /** Registers the close to run when the session ends; returns the unregister function. */
    onEnd(close: (reason: string) => void): () => void;
}

export interface BridgeOptions {
    vncHost: string;
    vncPort: number;
    vncPassword: () => Promise<string>;
    mode: { current(): ViewMode; onChange(listener: (mode: ViewMode) => void): () => void };
    session: ViewerSession;
    pingIntervalMs: number;
    log: (event: object) => void;
}

export async function bridgeViewer(ws: WebSocket, viewer: string, options: BridgeOptions): Promise<void> {
    const viewerStream = createWebSocketStream(ws);
    // The WebSocket stream emits an error when the browser goes away; the close handler below cleans up.
    viewerStream.on("error", () => undefined);
    const held = new HeldInput();
    let vnc: Socket | undefined;
    let closed = false;
    const cleanups: (() => void)[] = [];
    const closeBoth = (why: string, error?: Error) => {
        if (closed) return;
        closed = true;
        for (const cleanup of cleanups) cleanup();
        const releases = held.release();
        options.log({
            event: "viewer-closed",
            viewer,
            why,
            ...(releases.length ? { released: releases.length } : {}),
            ...(error ? { error: error.message } : {}),
        });
        if (vnc && releases.length && vnc.writable) {
            vnc.end(Buffer.concat(releases));
            setTimeout(() => vnc?.destroy(), RELEASE_FLUSH_MS).unref();
        } else {
            vnc?.destroy();
        }
        viewerStream.destroy();
        ws.terminate();
    };
    // The stream from createWebSocketStream never emits "close" itself: watch the WebSocket.
    ws.once("close", () => closeBoth("viewer-left"));
    cleanups.push(options.session.onEnd((reason) => closeBoth(`session-${reason}`)));
    cleanups.push(heartbeat(ws, options.pingIntervalMs, () => closeBoth("viewer-silent")));
    try {
        const password = await options.vncPassword();
        const session = await openVncSession(options.vncHost, options.vncPort, password);
        vnc = session.socket;
        if (closed) {
            vnc.destroy(); // the viewer left while the VNC handshake ran
            return;
        }
        vnc.on("error", (error) => closeBoth("vnc-error", error));
        vnc.on("close", () => closeBoth("vnc-closed"));
        const clientInit = await viewerHandshake(viewerStream);
        // Shared is forced on: a viewer must never disconnect the other viewers.
        vnc.write(Buffer.from([1]));
        if (session.readAhead.length) viewerStream.write(session.readAhead);
        const connection = vnc;
        cleanups.push(
            options.mode.onChange((mode) => {
                if (mode === "interactive") return;
                const releases = held.release();
                if (!releases.length) return;
                connection.write(Buffer.concat(releases));
                options.log({ event: "input-released", viewer, messages: releases.length });
            }),
        );
        pipeViewerToVnc(viewerStream, connection, clientInit.readAhead, options, held, closeBoth);
        vnc.pipe(viewerStream);
        options.log({ event: "viewer-connected", viewer, mode: options.mode.current() });
    } catch (error) {
        closeBoth("handshake-failed", error as Error);
    }
}

/** Pings every interval; a viewer that sent nothing (no pong, no message) since the last ping is silent. */
function heartbeat(ws: WebSocket, intervalMs: number, silent: () => void): () => void {
    let heard = true;
    const hear = () => {
        heard = true;
    };
    ws.on("pong", hear);
    ws.on("message", hear);
    const timer = setInterval(() => {
        if (!heard) return silent();
        heard = false;
        ws.ping();
    }, intervalMs);
    timer.unref();
    return () => {
        clearInterval(timer);
        ws.off("pong", hear);
        ws.off("message", hear);
    };
}

async function viewerHandshake(viewer: ReturnType<typeof createWebSocketStream>): Promise<{ readAhead: Buffer }> {
    const reader = new ByteReader(viewer, "the viewer");
    try {
        viewer.write("RFB 003.008\n");
        const version = (await reader.read(12, VIEWER_HANDSHAKE_TIMEOUT_MS)).toString("latin1");
        if (version !== "RFB 003.008\n") throw new Error(`viewer speaks ${JSON.stringify(version)}, need RFB 003.008`);
        viewer.write(Buffer.from([1, SECURITY_NONE]));
        const chosen = (await reader.read(1, VIEWER_HANDSHAKE_TIMEOUT_MS))[0];
        if (chosen !== SECURITY_NONE) throw new Error(`viewer chose security type ${chosen}, offered only None`);
        viewer.write(Buffer.alloc(4)); // SecurityResult: OK
        await reader.read(1, VIEWER_HANDSHAKE_TIMEOUT_MS); // ClientInit; the bridge sends its own
        return { readAhead: reader.release() };
    } catch (error) {
        reader.release();
        throw error;
    }
}

const PERSON_INPUT = new Set<number>([CLIENT_MESSAGE.keyEvent, CLIENT_MESSAGE.pointerEvent, CLIENT_MESSAGE.qemu]);

function pipeViewerToVnc(
    viewer: ReturnType<typeof createWebSocketStream>,
    vnc: Socket,
    readAhead: Buffer,
    options: BridgeOptions,
    held: HeldInput,
    closeBoth: (why: string, error?: Error) => void,
): void {
    const filter = new RfbClientFilter(() => options.mode.current());
    const forward = (chunk: Buffer) => {
        // Asked per frame: a session that ended (even before its close ran) gets nothing through.
        if (!options.session.valid()) return closeBoth("session-ended");
        let messages: Buffer[];
        try {
            messages = filter.push(chunk);
        } catch (error) {
            closeBoth("protocol-error", error as Error);
            return;
        }
        let writable = true;
        for (const message of messages) {
            if (PERSON_INPUT.has(message[0])) options.session.active();
            held.forwarded(message);
            writable = vnc.write(message) && writable;
        }
        if (!writable) {
            viewer.pause();
            vnc.once("drain", () => viewer.resume());
        }
    };
    if (readAhead.length) forward(readAhead);
    viewer.on("data", forward);
    viewer.resume();
}
