import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before } from "node:test";
import { fileURLToPath } from "node:url";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";

export const PACKAGE_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
/** The credential helper and gitconfig shared with the desktop image (a named build context). */
export const GIT_CREDENTIALS_DIR = path.resolve(PACKAGE_DIR, "..", "git-credentials");
/** The built server; SHELL_MCP_SERVER_ENTRY runs the tests against another build (e.g. an older commit's). */
export const SERVER_ENTRY = process.env.SHELL_MCP_SERVER_ENTRY || path.join(PACKAGE_DIR, "dist", "main.js");

export interface RunningServer {
    process: ChildProcess;
    port: number;
    url: string;
    /** The separate metrics port (METRICS_PORT): only `GET /metrics`. */
    metricsUrl: string;
    token: string;
    tokenFile: string;
    workspace: string;
    /** Every stderr line so far (the JSON logs). */
    logs: string[];
    stop(signal?: NodeJS.Signals): Promise<void>;
}

export interface ServerOptions {
    workspace?: string;
    port?: number;
    token?: string;
    env?: Record<string, string>;
}

/** Starts the built server (the same `node dist/main.js` the image runs) and waits until it listens. */
export async function startServer(options: ServerOptions = {}): Promise<RunningServer> {
    const workspace = options.workspace ?? (await mkdtemp(path.join(os.tmpdir(), "shell-mcp workspace ")));
    const token = options.token ?? `test-token-${Math.random().toString(36).slice(2)}`;
    const tokenFile = path.join(await mkdtemp(path.join(os.tmpdir(), "shell-mcp-token-")), "mcp-token");
    await writeFile(tokenFile, `${token}\n`);
    // A fresh home like the image's /home/agent: `bash -l` must not pick up this machine's dotfiles.
    const home = await mkdtemp(path.join(os.tmpdir(), "shell-mcp-home-"));
    const child = spawn(process.execPath, [SERVER_ENTRY], {
        env: {
            ...process.env,
            HOME: home,
            HOST: "127.0.0.1",
            // Ports the kernel picks (read back from the "listening" line): nothing depends on which
            // ports another process on this machine holds (issue 27: EADDRINUSE on the default 9101).
            PORT: String(options.port ?? 0),
            METRICS_PORT: "0",
            WORKSPACE_DIR: workspace,
            MCP_AUTH_TOKEN_FILE: tokenFile,
            ...options.env,
        },
        stdio: ["ignore", "ignore", "pipe"],
    });
    const logs: string[] = [];
    let pending = "";
    const listening = await new Promise<{ port: number; metrics_port: number }>((resolve, reject) => {
        child.stderr!.on("data", (chunk: Buffer) => {
            pending += chunk.toString("utf8");
            const lines = pending.split("\n");
            pending = lines.pop()!;
            for (const line of lines) {
                logs.push(line);
                if (line.includes('"msg":"listening"')) resolve(JSON.parse(line));
            }
        });
        child.once("exit", (code) =>
            reject(new Error(`server exited with ${code} before listening: ${logs.join("\n")}${pending}`)),
        );
    });
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    return {
        process: child,
        port: listening.port,
        url: `http://127.0.0.1:${listening.port}`,
        metricsUrl: `http://127.0.0.1:${listening.metrics_port}`,
        token,
        tokenFile,
        workspace,
        logs,
        async stop(signal: NodeJS.Signals = "SIGTERM") {
            if (child.exitCode === null && child.signalCode === null) child.kill(signal);
            await exited;
        },
    };
}

export async function connectClient(server: RunningServer, token = server.token): Promise<Client> {
    const client = new Client({ name: "shell-mcp-tests", version: "0.0.0" });
    const transport = new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`), {
        requestInit: { headers: { Authorization: `Bearer ${token}` } },
    });
    await client.connect(transport);
    return client;
}

export interface SharedServerOptions {
    /** Close the client quietly: for suites whose tests may leave its connection broken. */
    ignoreClientCloseError?: boolean;
}

/**
 * One server and one connected client for every test of the enclosing `describe`: registers its
 * `before` (start, connect, then hand both to `receive`) and `after` (close the client, stop the server).
 */
export function shareServerAndClient(
    receive: (started: { server: RunningServer; client: Client }) => void,
    options: SharedServerOptions = {},
): void {
    let server: RunningServer;
    let client: Client;
    before(async () => {
        server = await startServer();
        client = await connectClient(server);
        receive({ server, client });
    });
    after(async () => {
        if (options.ignoreClientCloseError) await client.close().catch(() => undefined);
        else await client.close();
        await server.stop();
    });
}

export async function callTool(
    client: Client,
    name: string,
    args: Record<string, unknown> = {},
): Promise<CallToolResult> {
    return (await client.callTool({ name, arguments: args }, undefined, { timeout: 300_000 })) as CallToolResult;
}

/** Text of the first content block. */
export function textOf(result: CallToolResult): string {
    const block = result.content[0];
    if (block?.type !== "text")
        throw new Error(`expected text content, got ${JSON.stringify(result.content).slice(0, 200)}`);
    return block.text;
}

/** The structured result of a successful tool call; fails loudly on a tool error. */
export function dataOf<T = Record<string, any>>(result: CallToolResult): T {
    if (result.isError) throw new Error(`tool error: ${JSON.stringify(result.content).slice(0, 500)}`);
    return result.structuredContent as T;
}

/** True once `pid` has exited (zombies count as exited: they only wait to be reaped). */
export async function hasExited(pid: number): Promise<boolean> {
    try {
        const { readFile } = await import("node:fs/promises");
        const stat = await readFile(`/proc/${pid}/stat`, "utf8");
        return stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z");
    } catch {
        return true;
    }
}

/** Peak resident memory of a process in KiB (VmHWM), from /proc. */
export async function peakRssKiB(pid: number): Promise<number> {
    const { readFile } = await import("node:fs/promises");
    const status = await readFile(`/proc/${pid}/status`, "utf8");
    return Number(/^VmHWM:\s+(\d+) kB/m.exec(status)![1]);
}

/** One sample of a Prometheus text exposition. */
export interface Sample {
    name: string;
    labels: Record<string, string>;
    value: number;
}

/** Parses Prometheus text format samples (enough for the label values our metrics use). */
export function parseMetrics(text: string): Sample[] {
    const samples: Sample[] = [];
    for (const line of text.split("\n")) {
        const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
        if (!match) continue;
        const labels: Record<string, string> = {};
        for (const pair of (match[2] ?? "").matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g))
            labels[pair[1]] = pair[2];
        samples.push({ name: match[1], labels, value: Number(match[3]) });
    }
    return samples;
}

/** The samples of `name` whose labels include `labels`. */
export function samplesOf(samples: Sample[], name: string, labels: Record<string, string> = {}): Sample[] {
    return samples.filter(
        (sample) =>
            sample.name === name && Object.entries(labels).every(([key, value]) => sample.labels[key] === value),
    );
}

/**
 * Polls `GET /healthz` every 100 ms while `work` runs; each probe may take at most 1 s (the contract
 * the liveness probe relies on). Returns the work's result and every probe that failed or was late.
 */
export async function whileHealthProbed<T>(
    server: RunningServer,
    work: () => Promise<T>,
): Promise<{ result: T; failures: string[]; probes: number }> {
    const failures: string[] = [];
    let probes = 0;
    let done = false;
    const prober = (async () => {
        while (!done) {
            const started = Date.now();
            try {
                const response = await fetch(`${server.url}/healthz`, { signal: AbortSignal.timeout(1000) });
                await response.text();
                if (response.status !== 200)
                    failures.push(`status ${response.status} after ${Date.now() - started} ms`);
            } catch (error) {
                failures.push(`no answer within 1 s (${(error as Error).name})`);
            }
            probes++;
            await new Promise((resolve) => setTimeout(resolve, 100));
        }
    })();
    try {
        const result = await work();
        return { result, failures, probes };
    } finally {
        done = true;
        await prober;
    }
}

/**
 * The JSON-RPC message of a POST /mcp answer: a JSON body, or (how the SDK answers 2025-era requests)
 * a text/event-stream holding it as one `message` event.
 */
export async function mcpMessage(response: Response): Promise<any> {
    const text = await response.text();
    if (!(response.headers.get("content-type") ?? "").startsWith("text/event-stream")) return JSON.parse(text);
    const data = text.split("\n").find((line) => line.startsWith("data: "));
    if (!data) throw new Error(`no data line in the event stream: ${text.slice(0, 200)}`);
    return JSON.parse(data.slice("data: ".length));
}
