"""Serve computer-control-mcp 0.3.10 over streamable HTTP for the agent's desktop.

Upstream only runs over stdio and its `mcp.run(transport="http")` path is broken,
so we configure the package's FastMCP instance ourselves (see FACTS.md):
  * wait for the X display first: importing the package opens X connections;
  * `/mcp`, stateless, on $HOST:$PORT (0.0.0.0:8080), Bearer token required;
  * `GET /healthz` is 200 only while the tools' own X connection still works, so
    kubelet restarts this container after the desktop (Xvnc) was restarted;
  * tools run sequentially in a worker thread and leave no PNGs in /tmp; a tool
    stuck for STUCK_TOOL_SECONDS also makes /healthz fail.
"""

import logging
import os
import sys
import time
from pathlib import Path

# python-xlib uses no-op locks unless this is imported before any Display is
# created; /healthz queries the X connection from another thread than the tools.
import Xlib.threaded  # noqa: F401  (imported for its side effect)
import Xlib.display

DISPLAY = os.environ.setdefault("DISPLAY", ":0")
HOST = os.environ.get("HOST", "0.0.0.0")
PORT = int(os.environ.get("PORT", "8080"))
MCP_AUTH_TOKEN_FILE = os.environ.get("MCP_AUTH_TOKEN_FILE", "/var/run/secrets/agent/mcp/mcp-token")
DISPLAY_WAIT_SECONDS = float(os.environ.get("DISPLAY_WAIT_SECONDS", "120"))
HEALTH_CHECK_TIMEOUT_SECONDS = float(os.environ.get("HEALTH_CHECK_TIMEOUT_SECONDS", "3"))
# A tool call that has held the GUI this long is stuck (OCR takes seconds; kagent
# gave up after 30 s): report unhealthy so kubelet restarts the container.
STUCK_TOOL_SECONDS = float(os.environ.get("STUCK_TOOL_SECONDS", "120"))
SCREENSHOT_SCRATCH_DIR = Path(os.environ.get("SCREENSHOT_SCRATCH_DIR", "/tmp/computer-control-mcp"))
X_SOCKET_DIR = Path("/tmp/.X11-unix")

log = logging.getLogger("launcher")


def wait_for_display() -> None:
    """Block until the X server accepts us (same UID: admitted by the desktop's xhost)."""
    deadline = time.monotonic() + DISPLAY_WAIT_SECONDS
    last_error = "not tried"
    while time.monotonic() < deadline:
        # EWMHlib lists this directory at import, even with an abstract socket.
        if X_SOCKET_DIR.is_dir():
            try:
                Xlib.display.Display(DISPLAY).close()
                log.info("X display %s is ready", DISPLAY)
                return
            except Exception as error:  # DisplayConnectionError, ConnectionClosedError, ...
                last_error = f"{type(error).__name__}: {error}"
        else:
            last_error = f"{X_SOCKET_DIR} does not exist"
        time.sleep(0.2)
    sys.exit(f"launcher: X display {DISPLAY} not usable after {DISPLAY_WAIT_SECONDS:.0f}s ({last_error})")


def require_token_file() -> None:
    try:
        token = Path(MCP_AUTH_TOKEN_FILE).read_text().strip()
    except OSError as error:
        sys.exit(f"launcher: cannot read MCP_AUTH_TOKEN_FILE {MCP_AUTH_TOKEN_FILE}: {error}")
    if not token:
        sys.exit(f"launcher: MCP_AUTH_TOKEN_FILE {MCP_AUTH_TOKEN_FILE} is empty")


def build_app():
    import anyio
    import pyautogui
    from starlette.responses import PlainTextResponse

    from computer_control_mcp import core

    from bearer_auth import BearerTokenAuth
    from tool_isolation import isolate_tools

    # Upstream's main() sets FAILSAFE = True: one pointer visit to a screen corner
    # would then make every later pyautogui call raise.
    pyautogui.FAILSAFE = False

    mcp = core.mcp
    mcp.settings.host = HOST
    mcp.settings.port = PORT
    mcp.settings.stateless_http = True
    mcp.settings.streamable_http_path = "/mcp"
    activity = isolate_tools(mcp, core, SCREENSHOT_SCRATCH_DIR)

    @mcp.custom_route("/healthz", methods=["GET"])
    async def healthz(_request):
        if activity.busy_seconds() > STUCK_TOOL_SECONDS:
            message = f"tool {activity.tool} running for {activity.busy_seconds():.0f}s\n"
            return PlainTextResponse(message, status_code=503)
        # pyautogui's connection is the one the tools use; once Xvnc dies it is
        # closed for good, so this stays failing until the container restarts.
        try:
            with anyio.fail_after(HEALTH_CHECK_TIMEOUT_SECONDS):
                await anyio.to_thread.run_sync(pyautogui.position, abandon_on_cancel=True)
        except Exception as error:
            return PlainTextResponse(f"X display {DISPLAY} unusable: {type(error).__name__}\n", status_code=503)
        return PlainTextResponse("ok\n")

    return BearerTokenAuth(mcp.streamable_http_app(), MCP_AUTH_TOKEN_FILE, open_paths=frozenset({"/healthz"}))


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    require_token_file()
    wait_for_display()
    app = build_app()

    import uvicorn

    log.info("serving computer-control MCP on http://%s:%d/mcp", HOST, PORT)
    uvicorn.run(app, host=HOST, port=PORT, log_level="info", timeout_graceful_shutdown=5)


if __name__ == "__main__":
    main()
