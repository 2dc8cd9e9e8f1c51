"""Prometheus metrics of the computer-control sidecar, on their own port (docs/pod-contract.md).

Names and labels are the pod contract's, shared with the shell server and the
alert rules: tool calls by tool and outcome, call durations, 401s, calls in
flight, screenshot latency, and whether the X server and the Xfce session are up.

The desktop gauges come from a background probe with its own X connection, so
a scrape never waits on a stuck X server: a probe that has not succeeded for
PROBE_STALE_SECONDS reads as "down".
"""

import logging
import threading
import time
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import Xlib.X
import Xlib.display
import Xlib.error
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, make_wsgi_app

SERVER = "computer-control"
PROBE_INTERVAL_SECONDS = 5.0
PROBE_STALE_SECONDS = 15.0

log = logging.getLogger("metrics")

registry = CollectorRegistry()
tool_calls = Counter("mcp_tool_calls", "Tool calls finished, by tool and outcome (ok, error).",
                     ["server", "tool", "outcome"], registry=registry)
tool_call_duration = Histogram("mcp_tool_call_duration_seconds", "Tool call duration, queueing for the GUI included.",
                               ["server", "tool"], registry=registry,
                               buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300))
auth_failures = Counter("mcp_auth_failures", "Requests refused with 401.", ["server"], registry=registry)
tool_calls_in_flight = Gauge("mcp_tool_calls_in_flight", "Tool calls running or queued now.", ["server"],
                             registry=registry)
screenshot_duration = Histogram("computer_screenshot_duration_seconds",
                                "Screen grab plus encode inside the screenshot tools.", registry=registry,
                                buckets=(0.005, 0.01, 0.02, 0.035, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 1, 2.5))
x_server_up = Gauge("desktop_x_server_up", "1 when the X display answers.", registry=registry)
session_up = Gauge("desktop_session_up",
                   "1 when a window manager holds _NET_SUPPORTING_WM_CHECK on the root window.", registry=registry)

auth_failures.labels(SERVER)
tool_calls_in_flight.labels(SERVER)


def instrument_tool_calls(mcp) -> None:
    """Count every call FastMCP dispatches, including unknown tools and invalid arguments."""
    manager = mcp._tool_manager
    dispatch = manager.call_tool
    known = {tool.name for tool in manager.list_tools()}
    for name in known:
        for outcome in ("ok", "error"):
            tool_calls.labels(SERVER, name, outcome)

    async def counted_call_tool(name, arguments, *args, **kwargs):
        tool = name if name in known else "unknown"  # never a label value per typo
        in_flight = tool_calls_in_flight.labels(SERVER)
        in_flight.inc()
        started = time.perf_counter()
        outcome = "error"
        try:
            result = await dispatch(name, arguments, *args, **kwargs)
            if not reports_an_error(result):
                outcome = "ok"
            return result
        finally:
            in_flight.dec()
            tool_call_duration.labels(SERVER, tool).observe(time.perf_counter() - started)
            tool_calls.labels(SERVER, tool, outcome).inc()

    manager.call_tool = counted_call_tool


def reports_an_error(result) -> bool:
    """Upstream tools report most failures as a returned "Error ..." text, not as an exception."""
    if isinstance(result, tuple):  # FastMCP's converted result: (content blocks, structured output)
        result = result[0]
    if isinstance(result, str):
        return result.startswith("Error")
    if isinstance(result, list) and result:
        return str(getattr(result[0], "text", "")).startswith("Error")
    return False


class DesktopProbe(threading.Thread):
    """Keeps desktop_x_server_up and desktop_session_up current on its own X connection."""

    def __init__(self, display: str):
        super().__init__(name="desktop-probe", daemon=True)
        self.display_name = display
        self.connection: Xlib.display.Display | None = None
        self.last_probe = 0.0
        self.x_up = self.wm_up = False
        x_server_up.set_function(lambda: self._fresh(self.x_up))
        session_up.set_function(lambda: self._fresh(self.wm_up))

    def _fresh(self, value: bool) -> float:
        return 1.0 if value and time.monotonic() - self.last_probe < PROBE_STALE_SECONDS else 0.0

    def probe_once(self) -> None:
        try:
            if self.connection is None:
                self.connection = Xlib.display.Display(self.display_name)
            wm_up = self._window_manager_running(self.connection)
            self.x_up, self.wm_up = True, wm_up
        except Exception as error:  # connection refused or closed, X errors
            log.debug("desktop probe failed: %s", error)
            self.x_up = self.wm_up = False
            if self.connection is not None:
                try:
                    self.connection.close()
                except Exception:
                    pass
                self.connection = None
        self.last_probe = time.monotonic()

    @staticmethod
    def _window_manager_running(connection: Xlib.display.Display) -> bool:
        # EWMH: the WM sets the property on the root window and on a child window of
        # its own that points to itself; a stale root property (WM died) fails this.
        check = connection.intern_atom("_NET_SUPPORTING_WM_CHECK")
        root = connection.screen().root
        held = root.get_full_property(check, Xlib.X.AnyPropertyType)
        if held is None or not held.value:
            return False
        window = connection.create_resource_object("window", held.value[0])
        try:
            own = window.get_full_property(check, Xlib.X.AnyPropertyType)
        except Xlib.error.BadWindow:
            return False
        return own is not None and len(own.value) > 0 and own.value[0] == held.value[0]

    def run(self) -> None:
        while True:
            self.probe_once()
            time.sleep(PROBE_INTERVAL_SECONDS)


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args):  # scrapes every 15-30 s would flood the log
        pass


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


def serve_metrics(host: str, port: int) -> WSGIServer:
    """GET /metrics on its own port; every other path is 404 (the port answers /metrics only)."""
    metrics_app = make_wsgi_app(registry)

    def app(environ, start_response):
        if environ.get("PATH_INFO") != "/metrics":
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"only /metrics is served here\n"]
        return metrics_app(environ, start_response)

    server = make_server(host, port, app, _ThreadingWSGIServer, handler_class=_QuietHandler)
    threading.Thread(target=server.serve_forever, name="metrics-http", daemon=True).start()
    return server
