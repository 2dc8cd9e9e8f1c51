import assert from "node:assert/strict";
import { mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Config } from "../src/config.js";
import { ModeFile } from "../src/mode.js";
import { MountedFile } from "../src/mountedFile.js";
import { type BrowserView, createBrowserView } from "../src/server.js";
import { FakeVncServer } from "./fakeVncServer.js";
import { openWebSocket, RfbViewer } from "./viewer.js";

export const TOKEN = "test-browser-view-token-0123456789abcdef";
export const VNC_PASSWORD = "vncpass1";
export const AGENT = "devbot";
export const KEY_A = Buffer.from([4, 1, 0, 0, 0, 0, 0, 0x61]);
export const UPDATE_REQUEST = Buffer.from([3, 1, 0, 0, 0, 0, 0, 64, 0, 48]);
export const FORM = { "content-type": "application/x-www-form-urlencoded" };

export interface Reply {
    status: number;
    headers: Record<string, string | string[] | undefined>;
    body: string;
}

/**
 * One browser view in this process against a fake VNC server, with its mounted files in a temporary
 * folder (written like the kubelet: a new file renamed over the old one).
 */
export class ViewHarness {
    readonly events: { event: string; [key: string]: unknown }[] = [];
    view!: BrowserView;
    mode!: ModeFile;
    base = "";

    private constructor(
        readonly dir: string,
        readonly vnc: FakeVncServer,
        readonly vncPort: number,
    ) {}

    static async start(
        overrides: Partial<Config> = {},
        vnc?: { server: FakeVncServer; port: number },
    ): Promise<ViewHarness> {
        const dir = mkdtempSync(join(tmpdir(), "browser-view-"));
        const fake = vnc?.server ?? new FakeVncServer(VNC_PASSWORD);
        const port = vnc?.port ?? (await fake.listen());
        const harness = new ViewHarness(dir, fake, port);
        harness.write("token", `${TOKEN}\n`);
        harness.write("vnc-password", VNC_PASSWORD);
        harness.write("mode", "view-only");
        const log = (event: object) => harness.events.push(event as ViewHarness["events"][number]);
        harness.mode = new ModeFile(new MountedFile(join(dir, "mode")), log);
        await harness.mode.refresh();
        harness.view = createBrowserView({ ...harness.config(), ...overrides }, harness.mode, log);
        await new Promise<void>((resolve) => harness.view.server.listen(0, "127.0.0.1", resolve));
        harness.base = `http://127.0.0.1:${(harness.view.server.address() as AddressInfo).port}`;
        return harness;
    }

    config(): Config {
        return {
            agentName: AGENT,
            host: "127.0.0.1",
            port: 0,
            vncHost: "127.0.0.1",
            vncPort: this.vncPort,
            vncPasswordFile: join(this.dir, "vnc-password"),
            tokenFile: join(this.dir, "token"),
            modeFile: join(this.dir, "mode"),
            sessionTtlSeconds: 3600,
            sessionIdleSeconds: 3600,
            maxViewers: 4,
            viewerPingSeconds: 15,
            maxUnauthenticated: 32,
            unauthenticatedSeconds: 20,
            recording: undefined,
            auditDir: undefined,
        };
    }

    get wsUrl(): string {
        return `${this.base.replace("http", "ws")}/websockify`;
    }

    write(name: string, content: string): void {
        writeFileSync(join(this.dir, `.${name}.new`), content);
        renameSync(join(this.dir, `.${name}.new`), join(this.dir, name));
    }

    async setMode(value: string): Promise<void> {
        this.write("mode", value);
        await this.mode.refresh();
    }

    http(method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<Reply> {
        return new Promise((resolve, reject) => {
            const req = request(`${this.base}${path}`, { method, headers }, (res) => {
                let text = "";
                res.on("data", (chunk) => (text += chunk));
                res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, body: text }));
            });
            req.on("error", reject);
            req.end(body);
        });
    }

    /** Logs in; returns the `name=value` pair of the session cookie. */
    async login(token = TOKEN, headers: Record<string, string> = {}): Promise<string> {
        const res = await this.http(
            "POST",
            "/login",
            { ...FORM, ...headers },
            new URLSearchParams({ token }).toString(),
        );
        assert.equal(res.status, 303);
        return String(res.headers["set-cookie"]).split(";")[0];
    }

    async viewer(cookie: string): Promise<RfbViewer> {
        const opened = await openWebSocket(this.wsUrl, { cookie });
        assert.ok(opened.ws, `upgrade refused with ${opened.status}`);
        const rfb = new RfbViewer(opened.ws, opened.early);
        await rfb.handshake(0);
        return rfb;
    }

    async stop(closeVnc = true): Promise<void> {
        this.view.stop();
        this.mode.stop();
        this.view.server.closeAllConnections();
        this.view.server.close();
        if (closeVnc) await this.vnc.close();
        rmSync(this.dir, { recursive: true, force: true });
    }
}

export async function until(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!condition()) {
        if (Date.now() > deadline) throw new Error(`${what} not reached within ${timeoutMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, 20));
    }
}
