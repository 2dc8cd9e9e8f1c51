import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { after, before, describe, it } from "node:test";
import { callTool, connectClient, dataOf, mcpMessage, startServer, type RunningServer } from "./harness.js";

const mcpHeaders = { "content-type": "application/json", accept: "application/json, text/event-stream" };

/** Resident memory of a process now, in KiB (VmRSS), from /proc. */
async function rssKiB(pid: number): Promise<number> {
    const status = await readFile(`/proc/${pid}/status`, "utf8");
    return Number(/^VmRSS:\s+(\d+) kB/m.exec(status)![1]);
}

/**
 * What kagent's controller does every 60 s: initialize, one call, then walk away without DELETE.
 * Sends the Mcp-Session-Id back when the server issued one, as a conforming client must.
 */
async function initializeAndCall(server: RunningServer, id: number): Promise<void> {
    const headers: Record<string, string> = { ...mcpHeaders, authorization: `Bearer ${server.token}` };
    const initialize = await fetch(`${server.url}/mcp`, {
        method: "POST",
        headers,
        body: JSON.stringify({
            jsonrpc: "2.0",
            id: 1,
            method: "initialize",
            params: {
                protocolVersion: "2025-06-18",
                capabilities: {},
                clientInfo: { name: `controller-${id}`, version: "0" },
            },
        }),
    });
    assert.equal(initialize.status, 200, await initialize.clone().text());
    await initialize.text();
    const sessionId = initialize.headers.get("mcp-session-id");
    if (sessionId) headers["mcp-session-id"] = sessionId;
    const call = await fetch(`${server.url}/mcp`, {
        method: "POST",
        headers: { ...headers, "mcp-protocol-version": "2025-06-18" },
        body: JSON.stringify({
            jsonrpc: "2.0",
            id: 2,
            method: "tools/call",
            params: { name: "list_jobs", arguments: {} },
        }),
    });
    assert.equal(call.status, 200);
    assert.equal((await mcpMessage(call)).result.isError, undefined);
}

// kagent pools one MCP session per server and never re-initialises after a 404 (kagent-dev/kmcp#108,
// google/adk-python#6822): the server must hold no session a client could lose.
describe("stateless streamable HTTP: no session to lose", () => {
    let server: RunningServer;
    before(async () => {
        server = await startServer();
    });
    after(async () => {
        await server.stop();
    });

    it("a client connected before a restart calls a tool after it", { timeout: 30_000 }, async () => {
        const first = await startServer();
        const client = await connectClient(first);
        assert.equal(dataOf(await callTool(client, "run_command", { command: "echo before" })).stdout, "before\n");
        await first.stop();
        const second = await startServer({ port: first.port, token: first.token, workspace: first.workspace });
        try {
            assert.equal(dataOf(await callTool(client, "run_command", { command: "echo after" })).stdout, "after\n");
        } finally {
            await client.close().catch(() => undefined);
            await second.stop();
        }
    });

    it("a client idle longer than the old idle limit still works", { timeout: 30_000 }, async () => {
        // MCP_SESSION_IDLE_SECONDS was the removed idle eviction; a server that still honoured it would 404 here.
        const idleLimited = await startServer({ env: { MCP_SESSION_IDLE_SECONDS: "1" } });
        const client = await connectClient(idleLimited);
        try {
            assert.ok((await client.listTools()).tools.length > 0);
            await new Promise((resolve) => setTimeout(resolve, 2500));
            assert.equal(
                dataOf(await callTool(client, "run_command", { command: "echo still-here" })).stdout,
                "still-here\n",
            );
        } finally {
            await client.close().catch(() => undefined);
            await idleLimited.stop();
        }
    });

    it("2,000 initialize+call sequences that never close leave the resident memory bounded", {
        timeout: 120_000,
    }, async () => {
        // MCP_MAX_SESSIONS was the removed session cap; a server that held a session per client would grow
        // by ~100 kB per sequence (~200 MB here), a stateless one by garbage only.
        const unbounded = await startServer({ env: { MCP_MAX_SESSIONS: "100000" } });
        try {
            const runSequences = async (count: number, offset: number) => {
                const workers = 4;
                await Promise.all(
                    Array.from({ length: workers }, async (_, worker) => {
                        for (let i = worker; i < count; i += workers) await initializeAndCall(unbounded, offset + i);
                    }),
                );
            };
            await runSequences(1000, 0); // warm-up: JIT, pools, heap growth to its working size (it levels off by then)
            const before = await rssKiB(unbounded.process.pid!);
            await runSequences(2000, 1000);
            const growthMiB = ((await rssKiB(unbounded.process.pid!)) - before) / 1024;
            assert.ok(growthMiB < 64, `resident memory grew by ${growthMiB.toFixed(1)} MiB over 2,000 sequences`);
        } finally {
            await unbounded.stop();
        }
    });

    it("serves a request carrying an Mcp-Session-Id it never issued (e.g. from before a restart)", async () => {
        const response = await fetch(`${server.url}/mcp`, {
            method: "POST",
            headers: {
                ...mcpHeaders,
                authorization: `Bearer ${server.token}`,
                "mcp-session-id": "from-before-a-restart",
            },
            body: JSON.stringify({
                jsonrpc: "2.0",
                id: 2,
                method: "tools/call",
                params: { name: "list_jobs", arguments: {} },
            }),
        });
        assert.equal(response.status, 200);
        assert.equal(response.headers.get("mcp-session-id"), null);
        assert.ok(Array.isArray((await mcpMessage(response)).result.structuredContent.jobs));
    });

    it("issues no session on initialize", async () => {
        const response = await fetch(`${server.url}/mcp`, {
            method: "POST",
            headers: { ...mcpHeaders, authorization: `Bearer ${server.token}` },
            body: JSON.stringify({
                jsonrpc: "2.0",
                id: 1,
                method: "initialize",
                params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "raw", version: "0" } },
            }),
        });
        assert.equal(response.status, 200);
        assert.equal(response.headers.get("mcp-session-id"), null);
        assert.equal((await mcpMessage(response)).result.serverInfo.name, "persistent-agents-shell");
    });

    for (const method of ["GET", "DELETE"]) {
        it(`answers ${method} /mcp with 405 (no standing stream, no session to delete)`, async () => {
            const response = await fetch(`${server.url}/mcp`, {
                method,
                headers: { ...mcpHeaders, authorization: `Bearer ${server.token}` },
            });
            assert.equal(response.status, 405);
            assert.equal(response.headers.get("allow"), "POST");
            assert.equal((await response.json()).error.code, -32000);
        });

        it(`still asks for the token on ${method} /mcp (fail closed)`, async () => {
            const response = await fetch(`${server.url}/mcp`, { method, headers: mcpHeaders });
            assert.equal(response.status, 401);
            await response.text();
        });
    }

    it("runs calls of several clients in parallel", { timeout: 30_000 }, async () => {
        const clients = await Promise.all(Array.from({ length: 5 }, () => connectClient(server)));
        try {
            const started = Date.now();
            const results = await Promise.all(
                clients.flatMap((client) =>
                    Array.from({ length: 4 }, () => callTool(client, "run_command", { command: "sleep 1; echo ok" })),
                ),
            );
            for (const result of results) assert.equal(dataOf(result).stdout, "ok\n");
            // 20 one-second sleeps: serialised they take 20 s.
            assert.ok(Date.now() - started < 10_000, `20 concurrent sleeps took ${Date.now() - started} ms`);
        } finally {
            await Promise.all(clients.map((client) => client.close().catch(() => undefined)));
        }
    });
});
