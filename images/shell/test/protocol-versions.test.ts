import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { Client as ModernClient, StreamableHTTPClientTransport as ModernTransport } from "@modelcontextprotocol/client";
import { Client as Client20251125 } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport as Transport20251125 } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { Client as Client20250326 } from "sdk-2025-03-26/client/index.js";
import { StreamableHTTPClientTransport as Transport20250326 } from "sdk-2025-03-26/client/streamableHttp.js";
import { Client as Client20250618 } from "sdk-2025-06-18/client/index.js";
import { StreamableHTTPClientTransport as Transport20250618 } from "sdk-2025-06-18/client/streamableHttp.js";
import { mcpMessage, PACKAGE_DIR, startServer, type RunningServer } from "./harness.js";

/** What every client must see: the exact tool list and a working run_command. */
interface Probe {
    listTools(): Promise<{ tools: Array<{ name: string }> }>;
    callTool(params: { name: string; arguments: Record<string, unknown> }): Promise<unknown>;
}

async function exercise(client: Probe, expectedTools: string[]): Promise<void> {
    const { tools } = await client.listTools();
    assert.deepEqual(tools.map((tool) => tool.name).sort(), [...expectedTools].sort());
    const result = (await client.callTool({ name: "run_command", arguments: { command: "echo from-$0" } })) as {
        content: Array<{ type: string; text: string }>;
        isError?: boolean;
    };
    assert.equal(result.isError, undefined);
    assert.equal(JSON.parse(result.content[0].text).stdout, "from-bash\n");
}

// Issue 26: the shell server speaks MCP 2026-07-28 (stateless: no initialize, server/discover, _meta on
// every request) and the 2025 revisions Kagent 0.10's clients use, each with an official SDK client of
// that revision: @modelcontextprotocol/client 2.x (2026-07-28), @modelcontextprotocol/sdk 1.32 (2025-11-25),
// 1.13.0 (2025-06-18) and 1.12.3 (2025-03-26), the last releases whose newest revision those were.
describe("protocol revisions: a client of each", () => {
    let server: RunningServer;
    let tools: string[];
    const headers = () => ({ Authorization: `Bearer ${server.token}` });
    before(async () => {
        server = await startServer();
        tools = JSON.parse(await readFile(path.join(PACKAGE_DIR, "tools.json"), "utf8"));
    });
    after(async () => {
        await server.stop();
    });

    it("2026-07-28 with the v2 SDK client pinned to it (no initialize)", async () => {
        const client = new ModernClient(
            { name: "modern", version: "0" },
            { versionNegotiation: { mode: { pin: "2026-07-28" } } },
        );
        await client.connect(
            new ModernTransport(new URL(`${server.url}/mcp`), { requestInit: { headers: headers() } }),
        );
        try {
            assert.equal(client.getProtocolEra(), "modern");
            await exercise(client, tools);
        } finally {
            await client.close();
        }
    });

    it("server/discover answers without a session: the revision, the tools capability, the server", async () => {
        const response = await fetch(`${server.url}/mcp`, {
            method: "POST",
            headers: {
                ...headers(),
                "content-type": "application/json",
                accept: "application/json, text/event-stream",
                "mcp-protocol-version": "2026-07-28",
                "mcp-method": "server/discover",
            },
            body: JSON.stringify({
                jsonrpc: "2.0",
                id: 1,
                method: "server/discover",
                params: {
                    _meta: {
                        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
                        "io.modelcontextprotocol/clientCapabilities": {},
                    },
                },
            }),
        });
        assert.equal(response.status, 200);
        assert.equal(response.headers.get("mcp-session-id"), null);
        const { result } = await mcpMessage(response);
        // Discovery is the 2026-07-28 era's; 2025 clients find their revisions through initialize (below).
        assert.ok(result.supportedVersions.includes("2026-07-28"), String(result.supportedVersions));
        assert.equal(result._meta["io.modelcontextprotocol/serverInfo"].name, "persistent-agents-shell");
        assert.ok(result.capabilities.tools);
    });

    const legacy = [
        { version: "2025-11-25", Client: Client20251125, Transport: Transport20251125 },
        { version: "2025-06-18", Client: Client20250618, Transport: Transport20250618 },
        { version: "2025-03-26", Client: Client20250326, Transport: Transport20250326 },
    ];
    for (const { version, Client, Transport } of legacy) {
        it(`${version} with the v1 SDK client of that revision (initialize, no session)`, async () => {
            const transport = new Transport(new URL(`${server.url}/mcp`), { requestInit: { headers: headers() } });
            const client = new Client({ name: `legacy-${version}`, version: "0" });
            await client.connect(transport);
            try {
                // 1.12 keeps the negotiated revision to itself; the raw initialize below checks it.
                if ("protocolVersion" in transport) assert.equal(transport.protocolVersion, version);
                assert.equal(transport.sessionId, undefined);
                await exercise(client as unknown as Probe, tools);
            } finally {
                await client.close();
            }
        });

        it(`an initialize asking for ${version} gets ${version}`, async () => {
            const response = await fetch(`${server.url}/mcp`, {
                method: "POST",
                headers: {
                    ...headers(),
                    "content-type": "application/json",
                    accept: "application/json, text/event-stream",
                },
                body: JSON.stringify({
                    jsonrpc: "2.0",
                    id: 1,
                    method: "initialize",
                    params: { protocolVersion: version, capabilities: {}, clientInfo: { name: "raw", version: "0" } },
                }),
            });
            assert.equal(response.headers.get("mcp-session-id"), null);
            assert.equal((await mcpMessage(response)).result.protocolVersion, version);
        });
    }
});
