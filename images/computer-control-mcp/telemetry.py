"""OpenTelemetry spans of the sidecar's tool calls, as the shell server makes them (images/shell/src/telemetry.ts,
docs/audit-trail.md "Traces"): one SERVER span per call, named and attributed after OpenTelemetry's MCP
semantic conventions, parented on the W3C trace context of the request's `_meta` (traceparent, tracestate),
exported over OTLP/HTTP to OTEL_EXPORTER_OTLP_ENDPOINT (or _TRACES_ENDPOINT; the exporter reads the other
standard OTEL_EXPORTER_OTLP_* variables itself). With neither set nothing is imported or started.
"""

from __future__ import annotations

import os

SERVER = "computer-control"


def instrument_tool_calls(mcp, redact_text, env=os.environ) -> object | None:
    """Wraps FastMCP's tool dispatch with a span per call; returns the tracer provider (None when off).
    `redact_text` cleans an error's text before it leaves the pod in a span's status."""
    if env.get("OTEL_SDK_DISABLED", "").lower() == "true":
        return None
    if not (env.get("OTEL_EXPORTER_OTLP_ENDPOINT") or env.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")):
        return None
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor
    from opentelemetry.trace import SpanKind, Status, StatusCode
    from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

    from audit_trail import error_text, request_context
    from metrics import reports_an_error

    attributes = {"service.name": env.get("OTEL_SERVICE_NAME") or SERVER}
    if env.get("AGENT_NAME"):
        attributes["persistent_agents.agent"] = env["AGENT_NAME"]
    provider = TracerProvider(resource=Resource.create(attributes))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    tracer = provider.get_tracer("persistent-agents-computer-control")
    propagator = TraceContextTextMapPropagator()
    manager = mcp._tool_manager
    dispatch = manager.call_tool

    async def traced_call_tool(name, arguments, *args, **kwargs):
        request = request_context(kwargs.get("context"))
        meta = getattr(request, "meta", None)
        carrier = {k: v for k, v in (getattr(meta, "model_extra", None) or {}).items() if isinstance(v, str)}
        span_attributes = {"mcp.method.name": "tools/call", "gen_ai.operation.name": "execute_tool",
                           "gen_ai.tool.name": name}
        if getattr(request, "request_id", None) is not None:
            span_attributes["jsonrpc.request.id"] = str(request.request_id)
        with tracer.start_as_current_span(f"tools/call {name}", context=propagator.extract(carrier),
                                          kind=SpanKind.SERVER, attributes=span_attributes,
                                          record_exception=False, set_status_on_exception=False) as span:
            try:
                result = await dispatch(name, arguments, *args, **kwargs)
            except Exception as failure:
                span.set_attribute("error.type", type(failure).__name__)
                span.set_status(Status(StatusCode.ERROR, redact_text(str(failure))[:200]))
                raise
            if reports_an_error(result):
                span.set_attribute("error.type", "tool_error")
                span.set_status(Status(StatusCode.ERROR, redact_text(error_text(result))[:200]))
            return result

    manager.call_tool = traced_call_tool
    return provider
