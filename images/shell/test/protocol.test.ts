import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import {
    callTool,
    connectClient,
    dataOf,
    PACKAGE_DIR,
    SERVER_ENTRY,
    startServer,
    textOf,
    type RunningServer,
} from "./harness.js";

const initializeBody = JSON.stringify({
    jsonrpc: "2.0",
    id: 1,
    method: "initialize",
    params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "raw", version: "0" } },
});
const mcpHeaders = { "content-type": "application/json", accept: "application/json, text/event-stream" };

describe("protocol, auth and operations routes", () => {
    let server: RunningServer;
    before(async () => {
        server = await startServer();
    });
    after(async () => {
        await server.stop();
    });

    it("lists exactly the tools named in tools.json, each with an object input schema", async () => {
        const expected = JSON.parse(await readFile(path.join(PACKAGE_DIR, "tools.json"), "utf8")) as string[];
        const client = await connectClient(server);
        const { tools } = await client.listTools();
        await client.close();
        assert.deepEqual(tools.map((tool) => tool.name).sort(), [...expected].sort());
        for (const tool of tools) {
            assert.equal(tool.inputSchema.type, "object", tool.name);
            assert.ok(tool.description && tool.description.length > 20, `${tool.name} needs a description`);
        }
        const runCommand = tools.find((tool) => tool.name === "run_command")!;
        assert.deepEqual(runCommand.inputSchema.required, ["command"]);
        assert.deepEqual(Object.keys(runCommand.inputSchema.properties!).sort(), [
            "command",
            "cwd",
            "env",
            "timeout_seconds",
        ]);
        // Structured results are declared (issue 12): clients validate structuredContent against these.
        const structured = ["run_command", "start_job", "job_status", "read_job_output", "kill_job", "list_jobs"];
        for (const name of structured) {
            const tool = tools.find((candidate) => candidate.name === name)!;
            assert.equal(tool.outputSchema?.type, "object", `${name} declares no outputSchema`);
        }
        assert.deepEqual(
            Object.keys(tools.find((tool) => tool.name === "run_command")!.outputSchema!.properties!).sort(),
            [
                "duration_ms",
                "exit_code",
                "signal",
                "stderr",
                "stderr_bytes",
                "stdout",
                "stdout_bytes",
                "timed_out",
                "truncated",
            ],
        );
        assert.deepEqual(
            Object.keys(tools.find((tool) => tool.name === "list_jobs")!.outputSchema!.properties!).sort(),
            ["jobs", "quarantined"],
        );
        const readJob = tools.find((tool) => tool.name === "read_job_output")!;
        assert.deepEqual(Object.keys(readJob.inputSchema.properties!).sort(), ["job_id", "max_bytes", "offset"]);
    });

    it("answers 401 without a token and with a wrong one", async () => {
        const missing = await fetch(`${server.url}/mcp`, { method: "POST", headers: mcpHeaders, body: initializeBody });
        assert.equal(missing.status, 401);
        assert.match(missing.headers.get("www-authenticate") ?? "", /^Bearer/);
        const wrong = await fetch(`${server.url}/mcp`, {
            method: "POST",
            headers: { ...mcpHeaders, authorization: `Bearer ${server.token}x` },
            body: initializeBody,
        });
        assert.equal(wrong.status, 401);
        await assert.rejects(connectClient(server, "not-the-token"), /missing or wrong bearer token/);
    });

    it("picks up a rotated token from the token file", async () => {
        const rotated = `${server.token}-rotated`;
        await writeFile(server.tokenFile, rotated);
        try {
            await assert.rejects(connectClient(server), /missing or wrong bearer token/);
            const client = await connectClient(server, rotated);
            await client.close();
        } finally {
            await writeFile(server.tokenFile, server.token);
        }
    });

    it("serves /healthz", async () => {
        const health = await fetch(`${server.url}/healthz`);
        assert.equal(health.status, 200);
        assert.equal(await health.text(), "ok\n");
    });

    it("logs one JSON line per tool call, never the token or file contents", async () => {
        const secretContent = "file-content-that-must-not-be-logged-7f3a";
        const client = await connectClient(server);
        dataOf(await callTool(client, "run_command", { command: "echo hello" }));
        assert.equal(
            (await callTool(client, "write_file", { path: "secret.txt", content: secretContent })).isError,
            undefined,
        );
        assert.equal(textOf(await callTool(client, "read_file", { path: "secret.txt" })), secretContent);
        await client.close();
        await new Promise((resolve) => setTimeout(resolve, 100));
        const toolLines = server.logs.map((line) => JSON.parse(line)).filter((entry) => entry.msg === "tool_call");
        assert.ok(
            toolLines.some(
                (entry) =>
                    entry.tool === "write_file" && entry.outcome === "ok" && typeof entry.duration_ms === "number",
            ),
        );
        assert.ok(toolLines.some((entry) => entry.tool === "read_file" && entry.outcome === "ok"));
        const everything = server.logs.join("\n");
        assert.ok(!everything.includes(server.token), "token leaked into logs");
        assert.ok(!everything.includes(secretContent), "file contents leaked into logs");
    });
});

describe("startup", () => {
    const runUntilExit = (env: Record<string, string>) =>
        new Promise<{ code: number | null; stderr: string }>((resolve) => {
            const child = spawn(process.execPath, [SERVER_ENTRY], {
                env: { ...process.env, ...env },
                stdio: ["ignore", "ignore", "pipe"],
            });
            let stderr = "";
            child.stderr.on("data", (chunk) => (stderr += chunk));
            const timer = setTimeout(() => child.kill("SIGTERM"), 3000);
            child.on("exit", (code) => {
                clearTimeout(timer);
                resolve({ code, stderr });
            });
        });

    it("refuses to start without a token unless MCP_ALLOW_UNAUTHENTICATED=1", async () => {
        const env = {
            PORT: "0",
            METRICS_PORT: "0",
            HOST: "127.0.0.1",
            WORKSPACE_DIR: path.join(os.tmpdir(), "shell-mcp-startup"),
            MCP_AUTH_TOKEN_FILE: "",
        };
        const refused = await runUntilExit({ ...env, MCP_ALLOW_UNAUTHENTICATED: "" });
        assert.equal(refused.code, 1);
        assert.match(refused.stderr, /MCP_AUTH_TOKEN_FILE is not set/);
        const missingFile = await runUntilExit({ ...env, MCP_AUTH_TOKEN_FILE: "/nonexistent/token" });
        assert.equal(missingFile.code, 1);
        assert.match(missingFile.stderr, /cannot read MCP_AUTH_TOKEN_FILE/);
        const allowed = await runUntilExit({ ...env, MCP_ALLOW_UNAUTHENTICATED: "1" });
        assert.match(allowed.stderr, /"msg":"listening"/);
        // Port 0: the kernel's choice, reported in the log line (never the default 8081/9101 of a pod).
        const listening = JSON.parse(allowed.stderr.split("\n").find((line) => line.includes('"listening"'))!);
        assert.ok(listening.port > 0 && listening.metrics_port > 0 && listening.port !== listening.metrics_port);
        assert.ok(![8081, 9101].includes(listening.port) && ![8081, 9101].includes(listening.metrics_port));
        assert.match(allowed.stderr, /authentication_disabled/);
    });
});
