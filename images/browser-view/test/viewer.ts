import WebSocket from "ws";

/** A viewer's side of the bridge: WebSocket with a cookie, then RFB 3.8 with security type None. */
export function openWebSocket(
    url: string,
    headers: Record<string, string> = {},
): Promise<{ ws?: WebSocket; status?: number; early?: Buffer[] }> {
    return new Promise((resolve) => {
        const ws = new WebSocket(url, { headers });
        // Kept from the start: the first frame can arrive in the same read as the upgrade response.
        const early: Buffer[] = [];
        const keep = (data: Buffer) => early.push(data);
        ws.on("message", keep);
        // Still collecting after "open" (a frame parsed in the same read is emitted right after it);
        // RfbViewer takes over from `early` synchronously when it is constructed.
        ws.once("open", () => resolve({ ws, early }));
        ws.once("unexpected-response", (_req, res) => {
            resolve({ status: res.statusCode });
            res.resume();
        });
        ws.once("error", () => resolve({}));
    });
}

export class RfbViewer {
    private buffered = Buffer.alloc(0);
    private waiters: (() => void)[] = [];
    closed = false;
    /** Bytes received after countOnly(): counted, not kept. */
    counted = 0;
    private counting = false;

    constructor(
        readonly ws: WebSocket,
        early: Buffer[] = [],
    ) {
        ws.removeAllListeners("message");
        this.buffered = Buffer.concat(early);
        ws.on("message", (data: Buffer) => {
            if (this.counting) {
                this.counted += data.length;
                return;
            }
            this.buffered = Buffer.concat([this.buffered, data]);
            for (const wake of this.waiters.splice(0)) wake();
        });
        ws.on("close", () => {
            this.closed = true;
            for (const wake of this.waiters.splice(0)) wake();
        });
    }

    async read(size: number, timeoutMs = 5000): Promise<Buffer> {
        const deadline = Date.now() + timeoutMs;
        while (this.buffered.length < size) {
            if (this.closed) throw new Error(`connection closed after ${this.buffered.length}/${size} bytes`);
            if (Date.now() > deadline) throw new Error(`no ${size} bytes within ${timeoutMs} ms`);
            await new Promise<void>((resolve) => {
                this.waiters.push(resolve);
                setTimeout(resolve, 50);
            });
        }
        const out = this.buffered.subarray(0, size);
        this.buffered = this.buffered.subarray(size);
        return out;
    }

    /** Runs the handshake up to ServerInit; returns the framebuffer size. */
    async handshake(sharedFlag = 1): Promise<{ width: number; height: number }> {
        const version = (await this.read(12)).toString("latin1");
        if (version !== "RFB 003.008\n") throw new Error(`bridge sent ${JSON.stringify(version)}`);
        this.ws.send(Buffer.from("RFB 003.008\n"));
        const types = await this.read(2);
        if (types[0] !== 1 || types[1] !== 1) throw new Error(`bridge offered security types ${[...types]}`);
        this.ws.send(Buffer.from([1]));
        if ((await this.read(4)).readUInt32BE(0) !== 0) throw new Error("security result not OK");
        this.ws.send(Buffer.from([sharedFlag]));
        const init = await this.read(24);
        await this.read(init.readUInt32BE(20));
        return { width: init.readUInt16BE(0), height: init.readUInt16BE(2) };
    }

    countOnly(): void {
        this.counting = true;
        this.counted = this.buffered.length;
        this.buffered = Buffer.alloc(0);
    }

    send(message: Buffer): void {
        this.ws.send(message);
    }
}
