import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { request } from "node:http";
import { join } from "node:path";

const MAIN = join(import.meta.dirname, "..", "dist", "main.js");
const CLOCK_TICKS = 100; // USER_HZ on Linux
// A server under attack in a test is killed past a resident size no sound server comes near, should the
// code regress (a quadratic filter once held 22 GB of a shared machine). Not an address-space limit:
// Node's WebAssembly reserves far more address space than it uses.
const MAX_RSS_BYTES = 512 << 20;

/** The server as its own process (dist/main.js, built by `npm test`) on an ephemeral port. */
export class ServerProcess {
    readonly events: { event: string; [key: string]: unknown }[] = [];
    /** Set when the watchdog killed the process: its resident size then. */
    killedAtRss: number | undefined;
    private readonly watchdog: NodeJS.Timeout;

    private constructor(
        private readonly child: ChildProcess,
        readonly base: string,
    ) {
        this.watchdog = setInterval(() => {
            const rss = this.rssBytes();
            if (rss > MAX_RSS_BYTES) {
                this.killedAtRss = rss;
                this.child.kill("SIGKILL");
            }
        }, 100);
        this.watchdog.unref();
    }

    static async start(env: Record<string, string>): Promise<ServerProcess> {
        const child = spawn(process.execPath, [MAIN], {
            env: { PATH: process.env.PATH, HOST: "127.0.0.1", PORT: "0", VNC_HOST: "127.0.0.1", ...env },
            stdio: ["ignore", "pipe", "inherit"],
        });
        const events: ServerProcess["events"] = [];
        let pending = "";
        const port = await new Promise<number>((resolve, reject) => {
            child.once("exit", (code) => reject(new Error(`server exited with ${code}`)));
            child.stdout!.on("data", (data: Buffer) => {
                pending += data.toString("utf8");
                const lines = pending.split("\n");
                pending = lines.pop()!;
                for (const line of lines) {
                    const event = JSON.parse(line);
                    events.push(event);
                    if (event.event === "listening") resolve(event.port);
                }
            });
        });
        const server = new ServerProcess(child, `http://127.0.0.1:${port}`);
        server.events.push(...events);
        return server;
    }

    /** Resident size (VmRSS), 0 once the process is gone. */
    rssBytes(): number {
        try {
            const status = readFileSync(`/proc/${this.child.pid}/status`, "utf8");
            return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
        } catch {
            return 0;
        }
    }

    /** User + system CPU seconds of the process so far (/proc/<pid>/stat fields 14 and 15). */
    cpuSeconds(): number {
        const stat = readFileSync(`/proc/${this.child.pid}/stat`, "utf8");
        const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
        return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
    }

    /** One request; fails when no answer comes within `timeoutMs`. */
    http(method: string, path: string, headers: Record<string, string> = {}, body?: string, timeoutMs = 5_000) {
        return new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }>(
            (resolve, reject) => {
                const req = request(`${this.base}${path}`, { method, headers, timeout: timeoutMs }, (res) => {
                    let text = "";
                    res.on("data", (chunk) => (text += chunk));
                    res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, body: text }));
                });
                req.on("timeout", () =>
                    req.destroy(new Error(`no answer to ${method} ${path} within ${timeoutMs} ms`)),
                );
                req.on("error", reject);
                req.end(body);
            },
        );
    }

    async stop(): Promise<void> {
        clearInterval(this.watchdog);
        if (this.child.exitCode !== null || this.child.signalCode !== null) return;
        const exited = new Promise((resolve) => this.child.once("exit", resolve));
        this.child.kill("SIGKILL");
        await exited;
    }
}
