import {
    type Context,
    ROOT_CONTEXT,
    type Span,
    SpanKind,
    SpanStatusCode,
    type TextMapGetter,
    type Tracer,
} from "@opentelemetry/api";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { BatchSpanProcessor, TracerProvider } from "@opentelemetry/sdk-trace";

/**
 * OpenTelemetry spans of tool calls (docs/audit-trail.md, "Traces"): one SERVER span per call, named and
 * attributed after OpenTelemetry's MCP semantic conventions, parented on the W3C trace context the request
 * carries in `_meta` (traceparent, tracestate), so a traced Kagent runtime's trace continues here. Spans
 * go over OTLP/HTTP to OTEL_EXPORTER_OTLP_ENDPOINT (or _TRACES_ENDPOINT), read by the exporter with the
 * other standard OTEL_EXPORTER_OTLP_* variables. With neither set there is no provider and no exporter,
 * and a call costs one `undefined` check.
 */
export interface ToolTracing {
    start(tool: string, requestId: string | number | undefined, meta: Record<string, unknown> | undefined): Span;
    end(span: Span, error: string | undefined): void;
    /** Sends what is still buffered; for shutdown and tests. */
    flush(): Promise<void>;
    shutdown(): Promise<void>;
}

const propagator = new W3CTraceContextPropagator();
const metaGetter: TextMapGetter<Record<string, unknown>> = {
    keys: (carrier) => Object.keys(carrier),
    get: (carrier, key) => (typeof carrier[key] === "string" ? (carrier[key] as string) : undefined),
};

/** The caller's trace context from a request's `_meta`; the root context when it carries none. */
function parentContext(meta: Record<string, unknown> | undefined): Context {
    return meta ? propagator.extract(ROOT_CONTEXT, meta, metaGetter) : ROOT_CONTEXT;
}

export function toolTracing(
    env: NodeJS.ProcessEnv,
    server: string,
    agent: string | undefined,
): ToolTracing | undefined {
    if (env.OTEL_SDK_DISABLED === "true") return undefined;
    if (!env.OTEL_EXPORTER_OTLP_ENDPOINT && !env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) return undefined;
    const provider = new TracerProvider({
        resource: resourceFromAttributes({
            "service.name": env.OTEL_SERVICE_NAME || server,
            ...(agent ? { "persistent_agents.agent": agent } : {}),
        }),
        spanProcessors: [new BatchSpanProcessor({ exporter: new OTLPTraceExporter() })],
    });
    const tracer: Tracer = provider.getTracer("persistent-agents-shell-mcp");
    return {
        start: (tool, requestId, meta) =>
            tracer.startSpan(
                `tools/call ${tool}`,
                {
                    kind: SpanKind.SERVER,
                    attributes: {
                        "mcp.method.name": "tools/call",
                        "gen_ai.operation.name": "execute_tool",
                        "gen_ai.tool.name": tool,
                        ...(requestId === undefined ? {} : { "jsonrpc.request.id": String(requestId) }),
                    },
                },
                parentContext(meta),
            ),
        end: (span, error) => {
            if (error !== undefined) {
                span.setAttribute("error.type", "tool_error");
                span.setStatus({ code: SpanStatusCode.ERROR, message: error });
            }
            span.end();
        },
        flush: () => provider.forceFlush(),
        shutdown: () => provider.shutdown(),
    };
}
