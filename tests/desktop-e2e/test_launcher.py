"""The launcher's own guards: fail closed, give up on a missing X server, flag stuck tools, bad config."""

import threading

import pytest

from mcp_calls import McpClient
from pod import LAUNCHER, VENV_PYTHON, AgentProcess, http_status, pick_port, wait_until


def extra_sidecar(pod, name: str, **env: str) -> AgentProcess:
    process = AgentProcess(name, [str(VENV_PYTHON), str(LAUNCHER)], pod.sidecar_env() | env,
                           pod.config.workdir / f"{name}.log")
    process.start()
    return process


def test_launcher_refuses_to_start_without_a_token_file(pod):
    launcher = extra_sidecar(pod, "no-token", MCP_AUTH_TOKEN_FILE=str(pod.config.workdir / "absent"),
                             PORT=str(pick_port()), METRICS_PORT=str(pick_port()))
    try:
        assert launcher.wait_exit(timeout=30) != 0
    finally:
        launcher.stop()
    assert "MCP_AUTH_TOKEN_FILE" in launcher.log_tail()


def test_launcher_gives_up_when_the_display_never_comes(pod):
    launcher = extra_sidecar(pod, "no-display", DISPLAY=":98", DISPLAY_WAIT_SECONDS="2",
                             PORT=str(pick_port()), METRICS_PORT=str(pick_port()))
    try:
        assert launcher.wait_exit(timeout=30) != 0
    finally:
        launcher.stop()
    assert "not usable" in launcher.log_tail()


def healthz_statuses_during(healthz: str, call) -> list[int]:
    """Run `call` in a thread and probe /healthz every 0.2 s until it returns."""
    caller = threading.Thread(target=call, daemon=True)
    caller.start()
    statuses = []
    while caller.is_alive():
        statuses.append(http_status(healthz))
        caller.join(timeout=0.2)
    return statuses


def test_a_wait_within_its_own_duration_keeps_healthz_healthy(pod):
    # Like wait_milliseconds(150000) under the default 120 s grace: a call that is
    # doing what it was asked for is not stuck, so kubelet must not restart us.
    port = pick_port()
    launcher = extra_sidecar(pod, "long-wait", PORT=str(port), METRICS_PORT=str(pick_port()),
                             STUCK_TOOL_SECONDS="1", SCREENSHOT_SCRATCH_DIR=str(pod.config.workdir / "scratch-wait"))
    healthz = f"http://127.0.0.1:{port}/healthz"
    try:
        wait_until(lambda: http_status(healthz) == 200, 120, 0.2, "second sidecar healthy")
        client = McpClient(f"http://127.0.0.1:{port}/mcp", pod.config.mcp_token)
        statuses = healthz_statuses_during(healthz, lambda: client.call("wait_milliseconds", {"milliseconds": 4000}))
        assert len(statuses) >= 10
        assert set(statuses) == {200}, f"/healthz during a 4 s wait with a 1 s grace: {statuses}"
    finally:
        launcher.stop()


def test_a_tool_past_its_own_budget_makes_healthz_fail_until_it_returns(pod):
    port = pick_port()
    launcher = extra_sidecar(pod, "stuck-tool", PORT=str(port), METRICS_PORT=str(pick_port()),
                             STUCK_TOOL_SECONDS="1", SCREENSHOT_SCRATCH_DIR=str(pod.config.workdir / "scratch"))
    healthz = f"http://127.0.0.1:{port}/healthz"
    try:
        wait_until(lambda: http_status(healthz) == 200, 120, 0.2, "second sidecar healthy")
        client = McpClient(f"http://127.0.0.1:{port}/mcp", pod.config.mcp_token)
        # pyautogui pauses 0.1 s after each key: 40 presses of shift take ~4 s, far
        # beyond what press_keys is allowed (0 s of its own + 1 s grace).
        statuses = healthz_statuses_during(healthz, lambda: client.call("press_keys", {"keys": ["shift"] * 40}))
        assert 503 in statuses, f"/healthz never reported the stuck call: {statuses}"
        assert http_status(healthz) == 200
    finally:
        launcher.stop()


def test_launcher_refuses_an_unknown_screenshot_format(pod):
    launcher = extra_sidecar(pod, "bad-format", SCREENSHOT_FORMAT="gif", PORT=str(pick_port()),
                             METRICS_PORT=str(pick_port()))
    try:
        assert launcher.wait_exit(timeout=30) != 0
    finally:
        launcher.stop()
    assert "SCREENSHOT_FORMAT='gif'" in launcher.log_tail()


@pytest.mark.parametrize("variable, value", [("SCREENSHOT_QUALITY", "101"), ("STUCK_TOOL_SECONDS", "-1"),
                                             ("METRICS_PORT", "ninety")])
def test_launcher_refuses_bad_settings_naming_the_variable(pod, variable, value):
    settings = {"PORT": str(pick_port()), "METRICS_PORT": str(pick_port())} | {variable: value}
    launcher = extra_sidecar(pod, f"bad-{variable.lower()}", **settings)
    try:
        assert launcher.wait_exit(timeout=30) != 0
    finally:
        launcher.stop()
    assert f"{variable}='{value}'" in launcher.log_tail()
