import assert from "node:assert/strict";
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, it } from "node:test";
import type { CallToolResult } from "@modelcontextprotocol/server";
import { connectClient, startServer } from "./harness.js";

const TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";
const PARENT_SPAN = "00f067aa0ba902b7";

/** An OTLP/HTTP collector (JSON, what @opentelemetry/exporter-trace-otlp-http sends): the spans it received. */
async function startCollector() {
    const spans: Record<string, any>[] = [];
    const resources: Record<string, any>[] = [];
    const read = async (request: IncomingMessage) => {
        const chunks: Buffer[] = [];
        for await (const chunk of request) chunks.push(chunk as Buffer);
        return Buffer.concat(chunks).toString();
    };
    const server = createServer(async (request, response) => {
        const body = JSON.parse(await read(request));
        for (const resourceSpans of body.resourceSpans ?? []) {
            resources.push(resourceSpans.resource);
            for (const scope of resourceSpans.scopeSpans ?? []) spans.push(...scope.spans);
        }
        response.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    return { url: `http://127.0.0.1:${port}`, spans, resources, close: () => server.close() };
}

const attributes = (span: Record<string, any>) =>
    Object.fromEntries(
        (span.attributes as { key: string; value: Record<string, unknown> }[]).map((a) => [
            a.key,
            Object.values(a.value)[0],
        ]),
    );

describe("OpenTelemetry", () => {
    it("sends a span per tool call to the OTLP endpoint, continuing the caller's trace from _meta", async () => {
        const collector = await startCollector();
        const server = await startServer({
            env: { OTEL_EXPORTER_OTLP_ENDPOINT: collector.url, OTEL_BSP_SCHEDULE_DELAY: "50", AGENT_NAME: "devbot" },
        });
        const client = await connectClient(server);
        try {
            const traced = (await client.callTool({
                name: "run_command",
                arguments: { command: "echo traced" },
                _meta: { traceparent: `00-${TRACE_ID}-${PARENT_SPAN}-01` },
            })) as CallToolResult;
            assert.equal(traced.isError, undefined);
            const failed = (await client.callTool({
                name: "read_file",
                arguments: { path: "no/such/file" },
            })) as CallToolResult;
            assert.equal(failed.isError, true);
            const deadline = Date.now() + 10_000;
            while (collector.spans.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
            assert.equal(collector.spans.length, 2, JSON.stringify(collector.spans));
            const [run, read] = collector.spans;
            assert.equal(run.name, "tools/call run_command");
            assert.equal(run.kind, 2); // SERVER
            assert.equal(run.traceId, TRACE_ID);
            assert.equal(run.parentSpanId, PARENT_SPAN);
            assert.deepEqual(attributes(run), {
                "mcp.method.name": "tools/call",
                "gen_ai.operation.name": "execute_tool",
                "gen_ai.tool.name": "run_command",
                "jsonrpc.request.id": attributes(run)["jsonrpc.request.id"],
            });
            assert.notEqual(run.status?.code, 2);
            assert.equal(read.name, "tools/call read_file");
            assert.notEqual(read.traceId, TRACE_ID, "a call without a traceparent starts a trace of its own");
            assert.equal(read.parentSpanId ?? "", "");
            assert.equal(read.status.code, 2); // ERROR
            assert.match(read.status.message, /does not exist/);
            assert.equal(attributes(read)["error.type"], "tool_error");
            const resource = Object.fromEntries(
                collector.resources[0].attributes.map((a: any) => [a.key, Object.values(a.value)[0]]),
            );
            assert.equal(resource["service.name"], "shell");
            assert.equal(resource["persistent_agents.agent"], "devbot");
        } finally {
            await client.close();
            await server.stop();
            collector.close();
        }
    });

    it("sends nothing when OTEL_SDK_DISABLED is true, the endpoint set", async () => {
        const collector = await startCollector();
        const server = await startServer({
            env: {
                OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
                OTEL_BSP_SCHEDULE_DELAY: "50",
                OTEL_SDK_DISABLED: "true",
            },
        });
        const client = await connectClient(server);
        try {
            await client.callTool({ name: "run_command", arguments: { command: "true" } });
            await new Promise((r) => setTimeout(r, 500));
            assert.equal(collector.spans.length, 0);
        } finally {
            await client.close();
            await server.stop();
            collector.close();
        }
    });
});
