import type { Socket } from "node:net";
import { createWebSocketStream, type WebSocket } from "ws";
import { ByteReader } from "./byteReader.js";
import { RfbClientFilter, type ViewMode } from "./rfbClientFilter.js";
import { openVncSession } from "./vncClient.js";

/**
 * One viewer: the bridge plays the VNC server towards the browser (RFB 3.8, security type None: the
 * viewer has already proven the browser-view token before the WebSocket upgrade) and a VNC client
 * towards the desktop (VncAuth with the mounted password). After the handshake, server-to-viewer bytes
 * are piped untouched and viewer-to-server bytes go through the RFB filter that enforces the mode.
 *
 * Backpressure is per viewer in both directions: a viewer that does not read pauses only its own VNC
 * connection, so one slow browser never holds up another.
 */

const SECURITY_NONE = 1;
const VIEWER_HANDSHAKE_TIMEOUT_MS = 10_000;

export interface BridgeOptions {
    vncHost: string;
    vncPort: number;
    vncPassword: () => Promise<string>;
    mode: () => ViewMode;
    log: (event: object) => void;
}

export async function bridgeViewer(ws: WebSocket, viewer: string, options: BridgeOptions): Promise<void> {
    const viewerStream = createWebSocketStream(ws);
    // The WebSocket stream emits an error when the browser goes away; the close handler below cleans up.
    viewerStream.on("error", () => undefined);
    let vnc: Socket | undefined;
    let closed = false;
    const closeBoth = (why: string, error?: Error) => {
        if (closed) return;
        closed = true;
        options.log({ event: "viewer-closed", viewer, why, ...(error ? { error: error.message } : {}) });
        vnc?.destroy();
        viewerStream.destroy();
        ws.terminate();
    };
    // The stream from createWebSocketStream never emits "close" itself: watch the WebSocket.
    ws.once("close", () => closeBoth("viewer-left"));
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
        pipeViewerToVnc(viewerStream, vnc, clientInit.readAhead, options, closeBoth);
        vnc.pipe(viewerStream);
        options.log({ event: "viewer-connected", viewer, mode: options.mode() });
    } catch (error) {
        closeBoth("handshake-failed", error as Error);
    }
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

function pipeViewerToVnc(
    viewer: ReturnType<typeof createWebSocketStream>,
    vnc: Socket,
    readAhead: Buffer,
    options: BridgeOptions,
    closeBoth: (why: string, error?: Error) => void,
): void {
    const filter = new RfbClientFilter(options.mode);
    const forward = (chunk: Buffer) => {
        let messages: Buffer[];
        try {
            messages = filter.push(chunk);
        } catch (error) {
            closeBoth("protocol-error", error as Error);
            return;
        }
        let writable = true;
        for (const message of messages) writable = vnc.write(message) && writable;
        if (!writable) {
            viewer.pause();
            vnc.once("drain", () => viewer.resume());
        }
    };
    if (readAhead.length) forward(readAhead);
    viewer.on("data", forward);
    viewer.resume();
}
