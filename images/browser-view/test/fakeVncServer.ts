import { createServer, type Server, type Socket } from "node:net";
import { vncAuthResponse } from "../src/vncClient.js";

/**
 * A VNC server just real enough for the bridge's tests: RFB 3.8 with VncAuth, counts every TCP
 * connection it accepts (so tests can assert that a refused viewer caused none), records what each
 * client sends after ClientInit, and can flood a client with framebuffer-sized data.
 */
export class FakeVncServer {
    readonly server: Server;
    connections = 0;
    /** Connections the client side has closed (the bridge must not leave VNC sessions behind). */
    closedByClient = 0;
    readonly sessions: { sharedFlag: number; received: Buffer[]; socket: Socket }[] = [];
    floodBytes = 0;
    /** Answer each FramebufferUpdateRequest with a 2x1 Raw update (and send a clipboard text and a bell once). */
    answerUpdates = false;
    /** Update requests answered so far. */
    updatesSent = 0;

    constructor(private readonly password: string) {
        this.server = createServer((socket) => this.serve(socket));
    }

    async listen(): Promise<number> {
        await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
        return (this.server.address() as { port: number }).port;
    }

    received(index: number): Buffer {
        return Buffer.concat(this.sessions[index]?.received ?? []);
    }

    close(): Promise<void> {
        for (const session of this.sessions) session.socket.destroy();
        return new Promise((resolve) => this.server.close(() => resolve()));
    }

    private serve(socket: Socket): void {
        this.connections++;
        socket.on("error", () => undefined);
        socket.on("end", () => this.closedByClient++);
        const challenge = Buffer.from([...Array(16).keys()].map((i) => i * 7));
        let stage = "version";
        let buffered = Buffer.alloc(0);
        socket.write("RFB 003.008\n");
        socket.on("data", (chunk: Buffer) => {
            buffered = Buffer.concat([buffered, chunk]);
            const take = (n: number) => {
                if (buffered.length < n) return undefined;
                const out = buffered.subarray(0, n);
                buffered = buffered.subarray(n);
                return out;
            };
            for (;;) {
                if (stage === "version" && take(12)) {
                    socket.write(Buffer.from([1, 2]));
                    stage = "security";
                } else if (stage === "security" && take(1)) {
                    socket.write(challenge);
                    stage = "auth";
                } else if (stage === "auth" && buffered.length >= 16) {
                    const ok = take(16)!.equals(vncAuthResponse(this.password, challenge));
                    if (!ok) {
                        const reason = Buffer.from("Authentication failure");
                        socket.end(
                            Buffer.concat([Buffer.from([0, 0, 0, 1]), Buffer.from([0, 0, 0, reason.length]), reason]),
                        );
                        return;
                    }
                    socket.write(Buffer.alloc(4));
                    stage = "init";
                } else if (stage === "init" && buffered.length >= 1) {
                    const session = { sharedFlag: take(1)![0], received: [] as Buffer[], socket };
                    this.sessions.push(session);
                    const name = Buffer.from("fake");
                    const init = Buffer.alloc(24);
                    init.writeUInt16BE(64, 0);
                    init.writeUInt16BE(48, 2);
                    init.writeUInt32BE(name.length, 20);
                    socket.write(Buffer.concat([init, name]));
                    stage = "session";
                    if (this.floodBytes) this.flood(socket);
                } else if (stage === "session" && buffered.length) {
                    const data = take(buffered.length)!;
                    this.sessions.find((s) => s.socket === socket)!.received.push(data);
                    if (this.answerUpdates) this.answer(socket, data);
                } else {
                    return;
                }
            }
        });
    }

    private answer(socket: Socket, data: Buffer): void {
        // Requests are 10 bytes, after SetPixelFormat (20) and SetEncodings; count them by their type byte
        // at message starts: good enough for the recorder, which sends nothing else.
        for (let i = 0; i < data.length; i++) {
            if (data[i] !== 3 || data.length - i < 10) continue;
            if (this.updatesSent === 0) {
                const text = Buffer.from("clipboard secret");
                const cut = Buffer.alloc(8);
                cut[0] = 3;
                cut.writeInt32BE(text.length, 4);
                socket.write(Buffer.concat([cut, text, Buffer.from([2])]));
            }
            const update = Buffer.alloc(4 + 12 + 8);
            update.writeUInt16BE(1, 2);
            update.writeUInt16BE(2, 4 + 4); // width 2
            update.writeUInt16BE(1, 4 + 6); // height 1
            update.fill(this.updatesSent & 255, 16);
            socket.write(update);
            this.updatesSent++;
            i += 9;
        }
    }

    /** Writes as long as the socket takes it: a stalled viewer must stall only its own connection. */
    private flood(socket: Socket): void {
        const block = Buffer.alloc(64 * 1024, 0xaa);
        const pump = () => {
            while (!socket.destroyed && socket.write(block)) {
                /* until the kernel buffer is full */
            }
        };
        socket.on("drain", pump);
        pump();
    }
}
