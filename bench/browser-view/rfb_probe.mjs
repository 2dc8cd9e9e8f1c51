// A minimal RFB 3.8 client that measures one transport to the desktop: direct TCP to Xvnc (VncAuth),
// through the browser-view bridge (WebSocket + session cookie, security None), or through websockify
// (WebSocket, VncAuth passed through). Raw encoding, 32 bpp: the same bytes on every transport.
//   node rfb_probe.mjs '<json options>'  ->  one JSON line of results
// options: {transport: "tcp"|"ws", port, url, cookie, password, fps: {seconds, region}, latency: {samples, points}}
import { createRequire } from "node:module";
import { connect } from "node:net";
import { fileURLToPath } from "node:url";

const packageJson = fileURLToPath(new URL("../../images/browser-view/package.json", import.meta.url));
const WebSocket = createRequire(packageJson)("ws");
const { vncAuthResponse } = await import(new URL("../../images/browser-view/dist/vncClient.js", import.meta.url));

const options = JSON.parse(process.argv[2]);
const trace = (what) =>
    process.env.RFB_PROBE_TRACE && process.stderr.write(`rfb_probe ${performance.now().toFixed(0)} ms: ${what}\n`);

/** Bytes from either transport, read by exact counts without copying large skips. */
class ByteQueue {
    chunks = [];
    length = 0;
    waiter = undefined;
    closed = false;
    push(chunk) {
        this.chunks.push(chunk);
        this.length += chunk.length;
        const wake = this.waiter;
        this.waiter = undefined;
        wake?.();
    }
    async need(n) {
        while (this.length < n) {
            if (this.closed) throw new Error(`connection closed (${this.length}/${n} bytes)`);
            await new Promise((resolve) => (this.waiter = resolve));
        }
    }
    async read(n) {
        await this.need(n);
        const out = Buffer.allocUnsafe(n);
        let filled = 0;
        while (filled < n) {
            const head = this.chunks[0];
            const take = Math.min(head.length, n - filled);
            head.copy(out, filled, 0, take);
            filled += take;
            if (take === head.length) this.chunks.shift();
            else this.chunks[0] = head.subarray(take);
        }
        this.length -= n;
        return out;
    }
    async skip(n) {
        while (n > 0) {
            await this.need(1);
            const head = this.chunks[0];
            const take = Math.min(head.length, n);
            if (take === head.length) this.chunks.shift();
            else this.chunks[0] = head.subarray(take);
            this.length -= take;
            n -= take;
        }
    }
}

async function open() {
    const queue = new ByteQueue();
    let send;
    let close;
    if (options.transport === "tcp") {
        const socket = connect(options.port, "127.0.0.1");
        socket.setNoDelay(true);
        await new Promise((resolve, reject) => {
            socket.once("connect", resolve);
            socket.once("error", reject);
        });
        socket.on("data", (chunk) => queue.push(chunk));
        socket.on("close", () => {
            queue.closed = true;
            queue.push(Buffer.alloc(0));
        });
        send = (data) => socket.write(data);
        close = () => socket.destroy();
    } else {
        const ws = new WebSocket(options.url, ["binary"], {
            headers: options.cookie ? { cookie: options.cookie } : {},
            perMessageDeflate: false,
        });
        // Listen before "open": the first frame can arrive in the same read as the upgrade response.
        ws.on("message", (chunk) => queue.push(chunk));
        await new Promise((resolve, reject) => {
            ws.once("open", resolve);
            ws.once("error", reject);
        });
        trace("open");
        ws.on("close", (code, reason) => {
            queue.closed = true;
            queue.push(Buffer.alloc(0));
            trace(`WebSocket closed ${code} ${reason}`);
        });
        send = (data) => ws.send(data);
        close = () => ws.terminate();
    }
    return { queue, send, close };
}

async function handshake({ queue, send }) {
    await queue.read(12);
    send(Buffer.from("RFB 003.008\n"));
    const count = (await queue.read(1))[0];
    const types = [...(await queue.read(count))];
    if (types.includes(2) && options.password) {
        send(Buffer.from([2]));
        send(vncAuthResponse(options.password, await queue.read(16)));
    } else if (types.includes(1)) {
        send(Buffer.from([1]));
    } else {
        throw new Error(`security types ${types}`);
    }
    if ((await queue.read(4)).readUInt32BE(0) !== 0) throw new Error("authentication failed");
    send(Buffer.from([1]));
    const init = await queue.read(24);
    await queue.read(init.readUInt32BE(20));
    const pixelFormat = Buffer.from([0, 0, 0, 0, 32, 24, 0, 1, 0, 255, 0, 255, 0, 255, 16, 8, 0, 0, 0, 0]);
    send(pixelFormat);
    const encodings = Buffer.alloc(8);
    encodings[0] = 2;
    encodings.writeUInt16BE(1, 2);
    encodings.writeInt32BE(0, 4); // Raw only: the server renders the cursor into the framebuffer
    send(encodings);
    return { width: init.readUInt16BE(0), height: init.readUInt16BE(2) };
}

function updateRequest(incremental, [x, y, w, h]) {
    const out = Buffer.alloc(10);
    out[0] = 3;
    out[1] = incremental ? 1 : 0;
    out.writeUInt16BE(x, 2);
    out.writeUInt16BE(y, 4);
    out.writeUInt16BE(w, 6);
    out.writeUInt16BE(h, 8);
    return out;
}

/** Reads one server message; returns the rectangles of a FramebufferUpdate, [] for other messages. */
async function readMessage(queue) {
    const type = (await queue.read(1))[0];
    if (type === 0) {
        const header = await queue.read(3);
        const rects = [];
        for (let i = 0; i < header.readUInt16BE(1); i++) {
            const r = await queue.read(12);
            const rect = {
                x: r.readUInt16BE(0),
                y: r.readUInt16BE(2),
                w: r.readUInt16BE(4),
                h: r.readUInt16BE(6),
                encoding: r.readInt32BE(8),
            };
            if (rect.encoding !== 0) throw new Error(`unexpected encoding ${rect.encoding}`);
            await queue.skip(rect.w * rect.h * 4);
            rects.push(rect);
        }
        return rects;
    }
    if (type === 2) return []; // Bell
    if (type === 3) {
        const h = await queue.read(7);
        await queue.skip(h.readUInt32BE(3));
        return [];
    }
    throw new Error(`unexpected server message ${type}`);
}

async function measureFps(connection, screen) {
    const { queue, send } = connection;
    const region = options.fps.region ?? [0, 0, screen.width, screen.height];
    send(updateRequest(false, region));
    await readMessage(queue);
    let frames = 0;
    let bytes = 0;
    const started = performance.now();
    const until = started + options.fps.seconds * 1000;
    while (performance.now() < until) {
        send(updateRequest(true, region));
        const rects = await readMessage(queue);
        if (rects.length) frames++;
        bytes += rects.reduce((sum, r) => sum + r.w * r.h * 4, 0);
    }
    const seconds = (performance.now() - started) / 1000;
    return { fps: frames / seconds, megabytesPerSecond: bytes / seconds / 1e6 };
}

async function measureLatency(connection, screen) {
    const { queue, send } = connection;
    const full = [0, 0, screen.width, screen.height];
    // A non-incremental request is answered at once: it leaves no request outstanding.
    const sync = async () => {
        send(updateRequest(false, [0, 0, 1, 1]));
        await readMessage(queue);
    };
    const movePointer = ([x, y]) => send(Buffer.from([5, 0, x >> 8, x & 255, y >> 8, y & 255]));
    movePointer(options.latency.home);
    await new Promise((resolve) => setTimeout(resolve, 100));
    await sync();
    const samples = [];
    for (let i = 0; i < options.latency.samples; i++) {
        // Consecutive points differ and none is the home point, so every sample really moves the cursor.
        const [x, y] = options.latency.points[i % options.latency.points.length];
        send(updateRequest(true, full));
        const sent = performance.now();
        movePointer([x, y]);
        // The server draws the cursor at the pointer: the first update covering (x, y) shows the input.
        for (;;) {
            const rects = await readMessage(queue);
            if (rects.some((r) => x >= r.x && x < r.x + r.w && y >= r.y && y < r.y + r.h)) break;
            send(updateRequest(true, full));
        }
        samples.push(performance.now() - sent);
        await new Promise((resolve) => setTimeout(resolve, 30));
        await sync();
    }
    movePointer(options.latency.home);
    await sync();
    samples.sort((a, b) => a - b);
    return {
        latencyMedianMs: samples[Math.floor(samples.length / 2)],
        latencyP90Ms: samples[Math.floor(samples.length * 0.9)],
        samples: samples.length,
    };
}

// A probe that hangs (no screen change to report, a broken transport) fails instead of blocking the run.
const watchdog = setTimeout(() => {
    process.stderr.write("rfb_probe: no result within 120 s\n");
    process.exit(3);
}, 120_000);
const connection = await open();
try {
    const screen = await handshake(connection);
    const result = options.fps ? await measureFps(connection, screen) : await measureLatency(connection, screen);
    process.stdout.write(`${JSON.stringify(result)}\n`);
} finally {
    connection.close();
    clearTimeout(watchdog);
}
process.exit(0);
