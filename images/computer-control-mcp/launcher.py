"""Serve computer-control-mcp 0.3.14 over streamable HTTP for the agent's desktop.

Upstream only runs over stdio and its `mcp.run(transport="http")` path is broken,
so we configure the package's FastMCP instance ourselves (see FACTS.md):
  * wait for the X display first: importing the package opens X connections;
  * `/mcp`, stateless, plain JSON responses (no SSE framing), on $HOST:$PORT
    (0.0.0.0:8080), Bearer token required;
  * `GET /healthz` (readiness) answers `healthy` or `unhealthy` and nothing else:
    unhealthy while the X server is gone (the desktop restarts), when the token
    file is missing or empty (fail closed), or when a tool call has run past its
    own budget (tool_isolation.py); `GET /livez` (liveness) only for the last;
  * when the X server restarts, re-executes itself once the new one admits it,
    keeping the listening socket (x_recovery.py): no container restart needed;
  * `take_screenshot(_with_ocr)` replaced by one-grab, one-encode versions under
    the same names and schemas (tool_overrides.py);
  * Prometheus metrics on $METRICS_PORT (9102), `GET /metrics` only (metrics.py);
  * every tool call in the audit trail on the agent's config volume (audit_trail.py, docs/audit-trail.md),
    and as an OpenTelemetry span when OTEL_EXPORTER_OTLP_ENDPOINT is set (telemetry.py).
"""

import importlib.metadata
import logging
import os
import sys
import threading
import time
from pathlib import Path

# python-xlib uses no-op locks unless this is imported before any Display is
# created; /healthz and the desktop probe use X from other threads than the tools.
import Xlib.threaded  # noqa: F401  (imported for its side effect)
import Xlib.display

log = logging.getLogger("launcher")
STARTED = time.monotonic()


def env_number(name: str, default: str, kind=float, minimum: float = 0):
    raw = os.environ.get(name, default)
    try:
        value = kind(raw)
    except ValueError:
        value = None
    if value is None or value < minimum:
        sys.exit(f"launcher: {name}={raw!r} must be a {kind.__name__} >= {minimum} (unset it for {default})")
    return value


DISPLAY = os.environ.setdefault("DISPLAY", ":0")
HOST = os.environ.get("HOST", "0.0.0.0")
PORT = env_number("PORT", "8080", int, 1)
METRICS_PORT = env_number("METRICS_PORT", "9102", int, 1)
MCP_AUTH_TOKEN_FILE = os.environ.get("MCP_AUTH_TOKEN_FILE", "/var/run/secrets/agent/mcp/mcp-token")
DISPLAY_WAIT_SECONDS = env_number("DISPLAY_WAIT_SECONDS", "120")
HEALTH_CHECK_TIMEOUT_SECONDS = env_number("HEALTH_CHECK_TIMEOUT_SECONDS", "3")
# Grace beyond a call's own duration (e.g. the wait it asked for) before it counts
# as stuck and /healthz fails, so kubelet restarts a sidecar whose GUI is wedged.
STUCK_TOOL_SECONDS = env_number("STUCK_TOOL_SECONDS", "120")
# How long accepted connections get to be read once the sidecar stops accepting before an X recovery.
STOP_ACCEPTING_GRACE_SECONDS = 0.3
SCREENSHOT_SCRATCH_DIR = Path(os.environ.get("SCREENSHOT_SCRATCH_DIR", "/tmp/computer-control-mcp"))
X_SOCKET_DIR = Path("/tmp/.X11-unix")
X_POLL_SECONDS = 0.05


def wait_for_display() -> None:
    """Block until the X server accepts us (same UID: admitted by the desktop's xhost)."""
    deadline = time.monotonic() + DISPLAY_WAIT_SECONDS
    last_error = "not tried"
    while time.monotonic() < deadline:
        # EWMHlib lists this directory at import, even with an abstract socket.
        if X_SOCKET_DIR.is_dir():
            try:
                Xlib.display.Display(DISPLAY).close()
                log.info("X display %s is ready after %.2fs", DISPLAY, time.monotonic() - STARTED)
                return
            except Exception as error:  # DisplayConnectionError, ConnectionClosedError, ...
                last_error = f"{type(error).__name__}: {error}"
        else:
            last_error = f"{X_SOCKET_DIR} does not exist"
        time.sleep(X_POLL_SECONDS)
    sys.exit(f"launcher: X display {DISPLAY} not usable after {DISPLAY_WAIT_SECONDS:.0f}s ({last_error})")


def import_what_needs_no_display() -> None:
    """The heavy imports that do not touch X, done while Xvnc is still starting."""
    import cv2  # noqa: F401
    import mcp.server.fastmcp  # noqa: F401
    import mss  # noqa: F401
    import uvicorn  # noqa: F401
    # Not rapidocr (onnxruntime): it loads in the background later (ocr_engine.py).


def require_token_file() -> None:
    try:
        token = Path(MCP_AUTH_TOKEN_FILE).read_text().strip()
    except OSError as error:
        sys.exit(f"launcher: cannot read MCP_AUTH_TOKEN_FILE {MCP_AUTH_TOKEN_FILE}: {error}")
    if not token:
        sys.exit(f"launcher: MCP_AUTH_TOKEN_FILE {MCP_AUTH_TOKEN_FILE} is empty")


class HideRouterCloseAfterJsonResponse(logging.Filter):
    """mcp 1.x (seen in 1.13) logs a ClosedResourceError traceback after every JSON (non-SSE) response.

    The stateless transport closes its streams once the response is sent, while its
    message router is still iterating them; the response itself is complete. Only
    that one record is dropped; every other error of the transport is still logged.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        import anyio

        if record.getMessage() == "Error in message router" and record.exc_info:
            return not isinstance(record.exc_info[1], anyio.ClosedResourceError)
        return True


def build_app(encoding, recovery):
    import anyio
    import pyautogui
    import Xlib.error
    from mcp.server.transport_security import TransportSecuritySettings
    from starlette.responses import PlainTextResponse

    from ocr_engine import ocr_models_load_in_background

    with ocr_models_load_in_background():
        from computer_control_mcp import core

    import metrics
    from audit_trail import instrument_tool_calls as audit_tool_calls
    from audit_trail import trail_from_environment
    from bearer_auth import BearerTokenAuth
    from screen_capture import ScreenGrabber
    from tool_isolation import isolate_tools
    from telemetry import instrument_tool_calls as trace_tool_calls
    from tool_overrides import install_overrides

    # Upstream's main() sets FAILSAFE = True: one pointer visit to a screen corner
    # would then make every later pyautogui call raise.
    pyautogui.FAILSAFE = False

    mcp = core.mcp
    mcp.settings.host = HOST
    mcp.settings.port = PORT
    mcp.settings.stateless_http = True
    # One JSON body per call instead of an SSE stream: less framing for a ~1 MB image.
    mcp.settings.json_response = True
    logging.getLogger("mcp.server.streamable_http").addFilter(HideRouterCloseAfterJsonResponse())
    mcp.settings.streamable_http_path = "/mcp"
    # mcp >= 1.23 turns DNS-rebinding protection on for a FastMCP made with its default host, 127.0.0.1 (as
    # computer-control-mcp makes it), allowing only localhost Host headers: every request of kagent, which
    # comes as http://<agent>-computer.<namespace>:8080, would get 421. That protection keeps a web page in
    # someone's browser away from an unauthenticated server on their own machine; this one is in a pod,
    # reached by Service names and pod IPs, and refuses anything without the bearer token.
    mcp.settings.transport_security = TransportSecuritySettings(enable_dns_rebinding_protection=False)
    # Without a version, mcp 1.x looks up its own package's metadata (parsing METADATA with the email
    # parser) for the initialization options of every stateless request: ~2-3 ms per call. Upstream's
    # version, read once, is also the more useful serverInfo.version.
    mcp._mcp_server.version = importlib.metadata.version("computer-control-mcp")

    def desktop_unavailable() -> str | None:
        if recovery.lost_reason is None:
            return None
        return (f"the desktop's X server ({DISPLAY}) is gone, probably restarting; the sidecar reconnects by "
                "itself within seconds of its return: retry shortly")

    install_overrides(mcp, core, ScreenGrabber(DISPLAY), encoding, metrics.screenshot_duration.observe)
    activity = isolate_tools(mcp, core, SCREENSHOT_SCRATCH_DIR, STUCK_TOOL_SECONDS, unavailable=desktop_unavailable)
    metrics.instrument_tool_calls(mcp)
    trail, redactor = trail_from_environment()
    audit_tool_calls(mcp, trail, redactor)
    trace_tool_calls(mcp, redactor.text)
    auth = BearerTokenAuth(None, MCP_AUTH_TOKEN_FILE, open_paths=frozenset({"/healthz", "/livez"}),
                           on_refused=metrics.auth_failures.labels(metrics.SERVER).inc)
    last_reason = {"value": None}

    def unhealthy(reason: str):
        # The reason goes to the log only: /healthz is unauthenticated.
        if last_reason["value"] != reason:
            log.warning("/healthz unhealthy: %s", reason)
            last_reason["value"] = reason
        return PlainTextResponse("unhealthy\n", status_code=503)

    @mcp.custom_route("/healthz", methods=["GET"])
    async def healthz(_request):
        if auth.expected_token() is None:
            return unhealthy(f"token file {MCP_AUTH_TOKEN_FILE} missing or empty")
        if activity.stuck():
            return unhealthy("a tool call ran past its own duration plus STUCK_TOOL_SECONDS")
        if recovery.lost_reason is not None:
            return unhealthy(f"X display {DISPLAY} lost ({recovery.lost_reason}); waiting for it to come back")
        # pyautogui's connection is the one the tools use. Closed while the server still runs
        # (e.g. the X server killed our client): recover as after a restart of the server.
        try:
            with anyio.fail_after(HEALTH_CHECK_TIMEOUT_SECONDS):
                await anyio.to_thread.run_sync(pyautogui.position, abandon_on_cancel=True)
        except Exception as error:
            if isinstance(error, Xlib.error.ConnectionClosedError):
                recovery.report_lost(f"the tools' connection is closed ({type(error).__name__})")
            return unhealthy(f"X display {DISPLAY} unusable: {type(error).__name__}")
        if last_reason["value"] is not None:
            log.info("/healthz healthy again")
            last_reason["value"] = None
        return PlainTextResponse("healthy\n")

    @mcp.custom_route("/livez", methods=["GET"])
    async def livez(_request):
        # Liveness: only what a container restart would cure. A gone X server is the
        # desktop's business (we reconnect by ourselves), a missing token the Secret's.
        if activity.stuck():
            return PlainTextResponse("unhealthy\n", status_code=503)
        return PlainTextResponse("healthy\n")

    auth.app = mcp.streamable_http_app()
    return auth


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    require_token_file()
    from screen_capture import ImageEncoding, ScreenshotConfigError

    try:
        encoding = ImageEncoding.from_environment()
    except ScreenshotConfigError as error:
        sys.exit(f"launcher: {error}")

    import metrics
    import x_recovery

    # Metrics first: desktop_x_server_up reads 0 while we wait for X.
    metrics.serve_metrics(HOST, METRICS_PORT)
    metrics.DesktopProbe(DISPLAY).start()
    # Bound before X is there (or inherited from the process we replaced): clients queue, never get refused.
    listener, kept_listener_fd = x_recovery.listening_socket(HOST, PORT)
    import_what_needs_no_display()
    log.info("imports that need no display done after %.2fs", time.monotonic() - STARTED)
    wait_for_display()

    import uvicorn

    class Server(uvicorn.Server):
        """uvicorn's server, keeping its loop so that another thread can stop the accepting first."""

        loop = None

        async def startup(self, sockets=None):
            import asyncio
            self.loop = asyncio.get_running_loop()
            await super().startup(sockets)

    server: Server | None = None
    restart_requested = threading.Event()

    def restart() -> None:
        restart_requested.set()
        if server is None:
            return
        # uvicorn's shutdown closes every connection whose request it has not read yet; one accepted just
        # before (a kubelet probe) would be reset. So stop accepting first (new clients queue on the kept
        # socket for the next process), give the accepted ones a moment to be read, then stop gracefully:
        # running requests finish (up to 5 s), then main() re-executes.
        if server.loop is not None and server.started:
            server.loop.call_soon_threadsafe(lambda: [listening.close() for listening in server.servers])
            time.sleep(STOP_ACCEPTING_GRACE_SECONDS)
        server.should_exit = True

    recovery = x_recovery.XRecovery(DISPLAY, restart)
    app = build_app(encoding, recovery)
    recovery.start()
    recoveries = x_recovery.recoveries_so_far()
    log.info("tools ready after %.2fs%s", time.monotonic() - STARTED,
             f" (X server restarts survived: {recoveries})" if recoveries else "")
    log.info("serving computer-control MCP on http://%s:%d/mcp (screenshots as %s), metrics on :%d/metrics",
             HOST, PORT, encoding.format, METRICS_PORT)
    server = Server(uvicorn.Config(app, log_level="info", timeout_graceful_shutdown=5))
    if restart_requested.is_set():  # X went and came back while we were starting
        server.should_exit = True
    server.run(sockets=[listener])
    if restart_requested.is_set():
        x_recovery.reexec(kept_listener_fd)


if __name__ == "__main__":
    main()
