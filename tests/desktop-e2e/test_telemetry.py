"""The sidecar's OpenTelemetry spans (images/computer-control-mcp/telemetry.py): a second sidecar on the pod's
desktop, its OTLP endpoint at a collector this test runs, sends a span per tool call, continuing the caller's
trace from the request's _meta."""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import anyio
from mcp import ClientSession
from mcp.client.streamable_http import streamablehttp_client
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from pod import AGENT_NAME, LAUNCHER, VENV_PYTHON, AgentProcess, http_status, pick_port, wait_until

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT_SPAN = "00f067aa0ba902b7"


class Collector:
    """OTLP/HTTP, protobuf (what opentelemetry-exporter-otlp-proto-http sends) on POST /v1/traces."""

    def __init__(self):
        self.spans: list = []
        self.resources: list = []
        collector = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                request = ExportTraceServiceRequest.FromString(self.rfile.read(int(self.headers["Content-Length"])))
                for resource_spans in request.resource_spans:
                    collector.resources.append({a.key: a.value.string_value for a in resource_spans.resource.attributes})
                    for scope in resource_spans.scope_spans:
                        collector.spans.extend(scope.spans)
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def call(url: str, token: str, name: str, arguments: dict, meta: dict | None = None):
    async def run():
        async with streamablehttp_client(url, headers={"Authorization": f"Bearer {token}"}) as (read, write, _):
            async with ClientSession(read, write) as session:
                await session.initialize()
                return await session.call_tool(name, arguments, meta=meta)
    return anyio.run(run)


def test_a_span_per_tool_call_goes_to_the_collector_continuing_the_callers_trace(pod):
    collector = Collector()
    port = pick_port()
    sidecar = AgentProcess("traced-sidecar", [str(VENV_PYTHON), str(LAUNCHER)],
                           pod.sidecar_env() | {"PORT": str(port), "METRICS_PORT": str(pick_port()),
                                                "OTEL_EXPORTER_OTLP_ENDPOINT": collector.url,
                                                "OTEL_BSP_SCHEDULE_DELAY": "50",
                                                "AUDIT_DIR": str(pod.config.workdir / "traced-audit"),
                                                "SCREENSHOT_SCRATCH_DIR": str(pod.config.workdir / "scratch-traced")},
                           pod.config.workdir / "traced-sidecar.log")
    sidecar.start()
    url = f"http://127.0.0.1:{port}/mcp"
    try:
        wait_until(lambda: http_status(f"http://127.0.0.1:{port}/healthz") == 200 or not sidecar.alive(), 120, 0.2,
                   "the traced sidecar ready")
        assert sidecar.alive(), sidecar.log_tail()
        call(url, pod.config.mcp_token, "get_screen_size", {},
             meta={"traceparent": f"00-{TRACE_ID}-{PARENT_SPAN}-01"})
        failed = call(url, pod.config.mcp_token, "activate_window",
                      {"title_pattern": "^no window has this title$", "use_regex": True})
        wait_until(lambda: len(collector.spans) >= 2, 15, 0.1, "two spans at the collector")
        first, second = collector.spans[:2]
        assert first.name == "tools/call get_screen_size"
        assert first.kind == first.SPAN_KIND_SERVER
        assert first.trace_id.hex() == TRACE_ID and first.parent_span_id.hex() == PARENT_SPAN
        attributes = {a.key: a.value.string_value for a in first.attributes}
        assert attributes["mcp.method.name"] == "tools/call" and attributes["gen_ai.tool.name"] == "get_screen_size"
        assert first.status.code != first.status.STATUS_CODE_ERROR
        assert second.name == "tools/call activate_window"
        assert second.trace_id.hex() != TRACE_ID and not second.parent_span_id, "no traceparent: a trace of its own"
        assert bool(failed.isError) or second.status.code == second.status.STATUS_CODE_ERROR
        assert second.status.code == second.status.STATUS_CODE_ERROR, second.status
        assert {a.key: a.value.string_value for a in second.attributes}["error.type"] == "tool_error"
        assert collector.resources[0]["service.name"] == "computer-control"
        assert collector.resources[0]["persistent_agents.agent"] == AGENT_NAME
    finally:
        sidecar.stop()
        collector.close()
