"""The launcher's own guards: fail closed, give up on a missing X server, flag stuck tools."""

import threading

from mcp_calls import McpClient
from pod import LAUNCHER, VENV_PYTHON, AgentProcess, http_status, pick_port, wait_until


def extra_sidecar(pod, name: str, **env: str) -> AgentProcess:
    process = AgentProcess(name, [str(VENV_PYTHON), str(LAUNCHER)], pod.sidecar_env() | env,
                           pod.config.workdir / f"{name}.log")
    process.start()
    return process


def test_launcher_refuses_to_start_without_a_token_file(pod):
    launcher = extra_sidecar(pod, "no-token", MCP_AUTH_TOKEN_FILE=str(pod.config.workdir / "absent"),
                             PORT=str(pick_port(18081)))
    try:
        assert launcher.wait_exit(timeout=30) != 0
    finally:
        launcher.stop()
    assert "MCP_AUTH_TOKEN_FILE" in launcher.log_tail()


def test_launcher_gives_up_when_the_display_never_comes(pod):
    launcher = extra_sidecar(pod, "no-display", DISPLAY=":98", DISPLAY_WAIT_SECONDS="2",
                             PORT=str(pick_port(18082)))
    try:
        assert launcher.wait_exit(timeout=30) != 0
    finally:
        launcher.stop()
    assert "not usable" in launcher.log_tail()


def test_a_stuck_tool_makes_healthz_fail_until_it_returns(pod):
    port = pick_port(18083)
    launcher = extra_sidecar(pod, "stuck-tool", PORT=str(port), STUCK_TOOL_SECONDS="1",
                             SCREENSHOT_SCRATCH_DIR=str(pod.config.workdir / "scratch"))
    healthz = f"http://127.0.0.1:{port}/healthz"
    try:
        wait_until(lambda: http_status(healthz) == 200, 120, 0.2, "second sidecar healthy")
        client = McpClient(f"http://127.0.0.1:{port}/mcp", pod.config.mcp_token)
        caller = threading.Thread(target=client.call, args=("wait_milliseconds", {"milliseconds": 4000}),
                                  daemon=True)
        caller.start()
        wait_until(lambda: http_status(healthz) == 503, 4, 0.2, "/healthz reporting the stuck tool")
        caller.join(timeout=30)
        assert http_status(healthz) == 200
    finally:
        launcher.stop()
