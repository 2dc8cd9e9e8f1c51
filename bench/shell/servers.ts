import path from "node:path";
import { writeFile } from "node:fs/promises";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { Fixtures } from "./fixtures.js";

const here = path.dirname(fileURLToPath(import.meta.url));
// SHELL_MCP_SERVER_ENTRY measures another build (e.g. an older commit's), as the shell tests allow.
const OURS = process.env.SHELL_MCP_SERVER_ENTRY || path.resolve(here, "../../images/shell/dist/main.js");
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
export async function connectStdio(name: ServerName, fixtures: Fixtures, home = fixtures.home): Promise<Client> {
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
            env: { ...baseEnv(fixtures), HOME: home, WORKSPACE_DIR: fixtures.workspace },
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
export async function startOursOverHttp(fixtures: Fixtures): Promise<HttpServer> {
    const tokenFile = path.join(fixtures.root, "token");
    await writeFile(tokenFile, "bench-token");
    const child = spawn(process.execPath, [OURS], {
        env: {
            ...baseEnv(fixtures),
            HOST: "127.0.0.1",
            // Ports the kernel picks (the "listening" line says which): never one another process holds.
            PORT: "0",
            METRICS_PORT: "0",
            WORKSPACE_DIR: fixtures.workspace,
            MCP_AUTH_TOKEN_FILE: tokenFile,
        },
        stdio: ["ignore", "ignore", "pipe"],
    });
    let seen = "";
    const port = await new Promise<number>((resolve, reject) => {
        const read = (chunk: Buffer) => {
            seen += chunk.toString();
            const line = seen.split("\n").find((candidate) => candidate.includes('"msg":"listening"'));
            if (!line) return;
            child.stderr.off("data", read);
            resolve(JSON.parse(line).port);
        };
        child.stderr.on("data", read);
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
