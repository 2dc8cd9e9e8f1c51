"""The desktop container dies with Xvnc or the session; the sidecar's health follows X."""

import os
import signal
import time
from pathlib import Path

from conftest import restart_pod, wait_for_xfce
from pod import X_SOCKET_DIR, http_status, wait_until
from test_metrics import scrape, value


def healthz(pod) -> int:
    return http_status(pod.config.healthz_url, timeout=5)


def test_killing_xvnc_fails_healthz_and_a_restarted_desktop_recovers(pod, client):
    assert healthz(pod) == 200
    os.kill(pod.xvnc_pid(), signal.SIGKILL)
    killed = time.monotonic()
    wait_until(lambda: healthz(pod) != 200, 10, interval=0.2, what="/healthz failing")
    assert time.monotonic() - killed < 10
    # The desktop probe (every 5 s) reports the X server down for the alert rules.
    wait_until(lambda: value(scrape(pod), "desktop_x_server_up") == 0, 15, 0.5, "desktop_x_server_up 0")
    assert value(scrape(pod), "desktop_session_up") == 0

    # The desktop container exits non-zero, so kubelet restarts it.
    assert pod.desktop.wait_exit(timeout=10) != 0
    pod.start_desktop()
    # The sidecar's X connection died with the old server: it stays unhealthy
    # until kubelet restarts it (liveness probe on /healthz).
    assert healthz(pod) == 503
    # uvicorn shuts down gracefully, then re-raises SIGTERM so the exit status says why.
    assert pod.sidecar.stop() in (0, -signal.SIGTERM)
    pod.start_sidecar()
    assert healthz(pod) == 200
    wait_for_xfce(client)


def test_the_desktop_exits_non_zero_when_the_xfce_session_dies(pod):
    os.kill(pod.child_pid_named("xfce4-session"), signal.SIGKILL)
    try:
        assert pod.desktop.wait_exit(timeout=15) != 0
        wait_until(lambda: not any(p for p in [_pid_or_none(pod, "Xvnc")] if p), 10, what="Xvnc gone")
    finally:
        restart_pod(pod)


def test_sigterm_stops_the_desktop_cleanly(pod):
    socket_path = X_SOCKET_DIR / f"X{pod.config.display.lstrip(':')}"
    assert socket_path.exists()
    try:
        pod.desktop.process.send_signal(signal.SIGTERM)
        assert pod.desktop.wait_exit(timeout=15) == 0
        assert _pid_or_none(pod, "Xvnc") is None
        # Nothing the desktop started outlives it, ssh-agent and gpg-agent included
        # (they leave the process group); the sidecar is another container.
        try:
            wait_until(lambda: not _leftovers(pod), 5, what="no desktop processes left")
        except TimeoutError:
            raise AssertionError(f"left behind by the desktop: {_leftovers(pod)}") from None
        assert not socket_path.exists()
        assert not Path(f"/tmp/.X{pod.config.display.lstrip(':')}-lock").exists()
    finally:
        restart_pod(pod)


def _leftovers(pod) -> list[str]:
    names = []
    for pid in set(pod.marked_pids()) - {pod.sidecar.pid}:
        try:
            names.append(f"{pid} {Path(f'/proc/{pid}/comm').read_text().strip()}")
        except OSError:
            continue
    return names


def _pid_or_none(pod, command):
    try:
        return pod.child_pid_named(command)
    except LookupError:
        return None
