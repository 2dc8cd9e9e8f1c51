import type { CallToolResult, McpServer, ServerContext, ToolAnnotations } from "@modelcontextprotocol/server";
import { z } from "zod";
import type { Redactor } from "./audit/redact.js";
import type { AuditTrail } from "./audit/trail.js";
import { log } from "./log.js";
import type { Metrics } from "./metrics.js";
import type { ToolTracing } from "./telemetry.js";
import { toolError, ToolInputError } from "./tool-result.js";

export interface ToolDefinition<Shape extends z.ZodRawShape> {
    name: string;
    description: string;
    inputSchema: Shape;
    /** Shape of `structuredContent` for tools that return structured results (listed as outputSchema). */
    outputSchema?: z.ZodRawShape;
    annotations?: ToolAnnotations;
    handler: (args: z.output<z.ZodObject<Shape>>) => Promise<CallToolResult>;
}

/**
 * The server's tools, defined once per process: every call is timed, counted, logged as one JSON line,
 * and any thrown error becomes an MCP tool error the agent can read instead of a protocol failure.
 * `registerOn` adds them to an McpServer; the HTTP transport makes a fresh one per request, so the
 * definitions (and their zod schemas) are built once, not per request.
 */
export class ToolRegistry {
    private readonly tools: Array<(server: McpServer) => void> = [];

    constructor(
        private readonly metrics: Metrics,
        private readonly audit?: { trail: AuditTrail; redactor: Redactor },
        private readonly tracing?: ToolTracing,
    ) {}

    define<Shape extends z.ZodRawShape>(tool: ToolDefinition<Shape>): void {
        const instrumented = async (
            args: z.output<z.ZodObject<Shape>>,
            ctx?: ServerContext,
        ): Promise<CallToolResult> => {
            const startedAt = new Date();
            const started = performance.now();
            const span = this.tracing?.start(tool.name, ctx?.mcpReq.id, ctx?.mcpReq._meta as Record<string, unknown>);
            this.metrics.toolCallStarted();
            let result: CallToolResult;
            try {
                result = await tool.handler(args);
            } catch (error) {
                result = toolError(describeFailure(tool.name, error));
            }
            const seconds = (performance.now() - started) / 1000;
            const outcome = result.isError ? "error" : "ok";
            this.metrics.toolCallFinished(tool.name, outcome, seconds);
            log("info", "tool_call", { tool: tool.name, outcome, duration_ms: Math.round(seconds * 10000) / 10 });
            if (span) {
                // The error's text only once redacted: a span leaves the pod for the operator's collector.
                const error = result.isError
                    ? (this.audit?.redactor.text(errorText(result)).slice(0, 200) ?? "")
                    : undefined;
                this.tracing?.end(span, error);
            }
            if (this.audit) {
                const { trail, redactor } = this.audit;
                trail.record({
                    time: startedAt.toISOString(),
                    durationMs: Math.round(seconds * 10000) / 10,
                    kind: "tool_call",
                    id: ctx?.mcpReq.id ?? null,
                    tool: tool.name,
                    arguments: redactor.arguments(args),
                    outcome: result.isError ? "tool_error" : "ok",
                    error: result.isError ? redactor.text(errorText(result)).slice(0, 500) : null,
                    caller: callerOf(ctx),
                });
            }
            return result;
        };
        const metadata = {
            description: tool.description,
            inputSchema: z.object(tool.inputSchema),
            outputSchema: tool.outputSchema && z.object(tool.outputSchema),
            annotations: tool.annotations,
        };
        // The SDK's callback type is generic over the shape; the instrumented wrapper matches it.
        this.tools.push((server) => server.registerTool(tool.name, metadata, instrumented as never));
    }

    registerOn(server: McpServer): void {
        for (const register of this.tools) register(server);
    }
}

function describeFailure(toolName: string, error: unknown): string {
    if (error instanceof ToolInputError) return `${toolName}: ${error.message}`;
    const code = (error as NodeJS.ErrnoException)?.code;
    const message = error instanceof Error ? error.message : String(error);
    return `${toolName} failed${code ? ` (${code})` : ""}: ${message}`;
}

function errorText(result: CallToolResult): string {
    const first = result.content?.find((block) => block.type === "text");
    return first && "text" in first ? first.text : "error";
}

/**
 * Who called: the client's self-reported name/version (sent per request since protocol 2026-07-28) and the
 * W3C trace id from the request's `traceparent` in `_meta` (SEP-414), so a Kagent trace can be matched.
 */
function callerOf(ctx: ServerContext | undefined): { client: string | null; traceId: string | null } {
    const info = (ctx?.mcpReq.envelope as Record<string, unknown> | undefined)?.[
        "io.modelcontextprotocol/clientInfo"
    ] as { name?: string; version?: string } | undefined;
    const traceparent = (ctx?.mcpReq._meta as Record<string, unknown> | undefined)?.traceparent;
    const traceId = typeof traceparent === "string" ? /^[0-9a-f]{2}-([0-9a-f]{32})-/.exec(traceparent)?.[1] : undefined;
    return {
        client: info?.name ? `${info.name}${info.version ? `/${info.version}` : ""}` : null,
        traceId: traceId ?? null,
    };
}
