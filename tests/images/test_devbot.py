"""devbot (test-cluster's desktop agent): desktop, computer-control sidecar and shell images in one pod,
run as the stack renders it. The sidecar reaches the X server only through the shared socket folder."""

from __future__ import annotations

import json
import subprocess
import time

import rfb
from conftest import http_status, wait_until
from mcp_calls import McpClient
from screen import decode, distinct_colours


def rendered_resolution(pod) -> tuple[int, int]:
    desktop = next(c for c in pod.pod.plan.containers if c.name == "desktop")
    value = next(arg.split("=", 2)[2] for arg in desktop.argv if arg.startswith("--env=RESOLUTION="))
    width, height = value.split("x")
    return int(width), int(height)


def computer(pod) -> McpClient:
    return McpClient(pod.url("computer-mcp", "/mcp"), pod.token)


def drawn_screenshot(pod, timeout: float = 90):
    """The first frame the Xfce session has drawn (a wallpaper and a panel: many colours). The pod is ready
    when Xvnc accepts connections; the session draws some seconds later, more on a loaded machine (a CI
    run saw a one-colour frame right after the sidecar's /healthz), so the test waits for it, bounded."""
    frames = []

    def drawn() -> bool:
        frames.append(decode(computer(pod).screenshot_png()))
        return distinct_colours(frames[-1]) > 100

    wait_until(drawn, timeout, "the Xfce session to draw (a frame of more than 100 colours)", interval=1,
               logs=lambda: f"last frame: {distinct_colours(frames[-1]) if frames else 'none'} colours\n"
                            + pod.pod.logs("desktop")[-3000:])
    return frames[-1]


def test_sidecar_is_healthy_and_takes_a_screenshot_of_the_configured_size(devbot):
    assert http_status(devbot.url("computer-mcp", "/healthz")) == 200
    image = drawn_screenshot(devbot)
    assert image.size == rendered_resolution(devbot)


def test_sidecar_reports_the_screen_size_and_windows(devbot):
    client = computer(devbot)
    size = client.call("get_screen_size")
    assert str(rendered_resolution(devbot)[0]) in json.dumps(size.model_dump()), size
    assert isinstance(client.windows(), list)


def test_shell_runs_a_tool_as_uid_1000_and_sees_the_display(devbot):
    result = McpClient(devbot.url("shell-mcp", "/mcp"), devbot.token).call(
        "run_command", {"command": "id -u && echo $DISPLAY && ls /tmp/.X11-unix"})
    stdout = result.structuredContent["stdout"].splitlines()
    assert stdout[:2] == ["1000", ":0"], stdout
    assert "X0" in stdout[2:], "the shared X socket folder is mounted in the shell container too"


def test_vnc_does_the_rfb_handshake_with_the_mounted_password(devbot):
    port = devbot.ports["vnc"]
    outcome = rfb.handshake("127.0.0.1", port, devbot.vnc_password)
    assert outcome.get("authenticated") is True, outcome
    assert (outcome["width"], outcome["height"]) == rendered_resolution(devbot)
    wrong = rfb.handshake("127.0.0.1", port, "wrong-pw")
    assert wrong.get("authenticated") is False, wrong


def container_state(pod, name: str) -> dict:
    inspected = subprocess.run(["podman", "inspect", "--format", "{{json .State}}", pod.pod.container(name)],
                               check=True, capture_output=True, text=True)
    return json.loads(inspected.stdout)


def test_desktop_stops_cleanly_on_sigterm_and_comes_back(devbot):
    grace = next(int(arg.split("=")[1]) for arg in devbot.pod.plan.containers[0].argv if arg.startswith("--stop-timeout="))
    sidecar_started = container_state(devbot, "computer-control")["StartedAt"]
    started = time.monotonic()
    # podman stop sends SIGTERM and waits the grace period before SIGKILL, as the kubelet does.
    subprocess.run(["podman", "stop", f"--time={grace}", devbot.pod.container("desktop")], check=True, capture_output=True)
    stopped_after = time.monotonic() - started
    state = container_state(devbot, "desktop")
    assert state["ExitCode"] in (0, 143), f"desktop exited {state['ExitCode']} on SIGTERM (137 = killed after the grace period)"
    assert stopped_after < grace, f"took {stopped_after:.1f} s to stop (grace {grace} s)"

    subprocess.run(["podman", "start", devbot.pod.container("desktop")], check=True, capture_output=True)
    devbot.wait_vnc()
    assert rfb.handshake("127.0.0.1", devbot.ports["vnc"], devbot.vnc_password).get("authenticated") is True
    # The sidecar's X connection died with the old server: it reconnects by itself (x_recovery.py), in
    # the same container (nothing restarts it here, as the kubelet would not: its liveness is /livez).
    healthz = devbot.url("computer-mcp", "/healthz")
    wait_until(lambda: http_status(healthz) == 200, 60, "the sidecar reconnecting by itself",
               logs=lambda: devbot.pod.logs("computer-control")[-3000:])
    assert container_state(devbot, "computer-control")["StartedAt"] == sidecar_started, "the sidecar was restarted"
    image = drawn_screenshot(devbot)
    assert image.size == rendered_resolution(devbot)
