import path from "node:path";
import { writeFile } from "node:fs/promises";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { Fixtures } from "./fixtures.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const OURS = path.resolve(here, "../../images/shell/dist/main.js");
const FILESYSTEM = path.join(here, "node_modules/@modelcontextprotocol/server-filesystem/dist/index.js");
const DESKTOP_COMMANDER = path.join(here, "node_modules/@wonderwhy-er/desktop-commander/dist/index.js");

export type ServerName = "ours" | "server-filesystem" | "desktop-commander";

function baseEnv(fixtures: Fixtures): Record<string, string> {
    return {
        PATH: process.env.PATH ?? "/usr/bin:/bin",
        HOME: fixtures.home,
        LANG: "C.UTF-8",
        // Keep desktop-commander off the network: telemetry kill-switch and a feature-flag URL on loopback.
        DESKTOP_COMMANDER_DISABLE_TELEMETRY: "1",
        DC_FLAG_URL: "http://127.0.0.1:9/flags.json",
    };
}

/** One client connected over stdio to a fresh server process. */
export async function connectStdio(name: ServerName, fixtures: Fixtures): Promise<Client> {
    const args: Record<ServerName, string[]> = {
        ours: [OURS, "--stdio"],
        "server-filesystem": [FILESYSTEM, fixtures.workspace],
        "desktop-commander": [DESKTOP_COMMANDER],
    };
    const client = new Client({ name: "shell-bench", version: "0" });
    await client.connect(
        new StdioClientTransport({
            command: process.execPath,
            args: args[name],
            cwd: fixtures.workspace,
            env: { ...baseEnv(fixtures), WORKSPACE_DIR: fixtures.workspace },
            stderr: "ignore",
        }),
    );
    return client;
}

export interface HttpServer {
    connect(): Promise<Client>;
    stop(): void;
}

/** Our server as deployed: one process, streamable HTTP with a bearer token, many sessions. */
export async function startOursOverHttp(fixtures: Fixtures, port: number): Promise<HttpServer> {
    const tokenFile = path.join(fixtures.root, "token");
    await writeFile(tokenFile, "bench-token");
    const child = spawn(process.execPath, [OURS], {
        env: {
            ...baseEnv(fixtures),
            HOST: "127.0.0.1",
            PORT: String(port),
            WORKSPACE_DIR: fixtures.workspace,
            MCP_AUTH_TOKEN_FILE: tokenFile,
        },
        stdio: ["ignore", "ignore", "pipe"],
    });
    await new Promise<void>((resolve, reject) => {
        child.stderr.on("data", (chunk: Buffer) => {
            if (chunk.toString().includes('"msg":"listening"')) resolve();
        });
        child.once("exit", (code) => reject(new Error(`our server exited with ${code}`)));
    });
    // Tool-call log lines would otherwise fill the pipe and stall the server.
    child.stderr.resume();
    return {
        async connect() {
            const client = new Client({ name: "shell-bench", version: "0" });
            await client.connect(
                new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${port}/mcp`), {
                    requestInit: { headers: { Authorization: "Bearer bench-token" } },
                }),
            );
            return client;
        },
        stop() {
            child.kill("SIGTERM");
        },
    };
}
