"""The desktop container dies with Xvnc or the session; the sidecar follows X and reconnects by itself."""

import os
import signal
import threading
import time
from pathlib import Path

from conftest import restart_pod, wait_for_xfce
from mcp_calls import texts
from pod import X_SOCKET_DIR, http_status, wait_until
from test_metrics import scrape, value


def healthz(pod) -> int:
    return http_status(pod.config.healthz_url, timeout=5)


def livez(pod) -> int:
    return http_status(pod.config.healthz_url.replace("/healthz", "/livez"), timeout=5)


class StatusPoller:
    """Polls a URL from a thread and records every status (0: refused or no answer within 30 s)."""

    def __init__(self, url: str):
        self.url, self.statuses, self._stop = url, [], threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        while not self._stop.is_set():
            self.statuses.append(http_status(self.url, timeout=30))
            time.sleep(0.05)

    def stop(self) -> list[int]:
        self._stop.set()
        self._thread.join(timeout=60)
        return self.statuses


def test_the_sidecar_recovers_by_itself_when_the_x_server_restarts(pod, client):
    assert healthz(pod) == 200
    sidecar_pid = pod.sidecar.pid
    os.kill(pod.xvnc_pid(), signal.SIGKILL)
    killed = time.monotonic()
    wait_until(lambda: healthz(pod) != 200, 10, interval=0.2, what="/healthz failing")
    assert time.monotonic() - killed < 10
    # The desktop probe (every 5 s) reports the X server down for the alert rules.
    wait_until(lambda: value(scrape(pod), "desktop_x_server_up") == 0, 15, 0.5, "desktop_x_server_up 0")
    assert value(scrape(pod), "desktop_session_up") == 0
    # Meanwhile a tool call fails at once and says why; liveness stays healthy (a restart would not help).
    started = time.monotonic()
    refused = client.call_raw("get_screen_size")
    assert refused.isError and "restarting" in " ".join(texts(refused)), texts(refused)
    assert time.monotonic() - started < 5
    assert livez(pod) == 200

    # The desktop container exits non-zero, so kubelet restarts it; nobody restarts the sidecar.
    assert pod.desktop.wait_exit(timeout=10) != 0
    poller = StatusPoller(pod.config.healthz_url)
    try:
        pod.start_desktop()
        restarted = time.monotonic()
        wait_until(lambda: healthz(pod) == 200, 60, interval=0.2, what="/healthz healthy again without a restart")
        recovered_after = time.monotonic() - restarted
    finally:
        statuses = poller.stop()
    assert pod.sidecar.alive() and pod.sidecar.pid == sidecar_pid, "the sidecar process was replaced or died"
    # It re-executed itself on the same listening socket: requests waited, none was refused.
    assert 0 not in statuses, f"/healthz refused or unanswered during the recovery: {statuses}"
    assert recovered_after < 30, f"recovered {recovered_after:.1f}s after the X server came back"

    # Every kind of tool works on the new X server: screen, input, windows.
    wait_for_xfce(client)
    client.call("move_mouse", {"x": 123, "y": 234})
    assert pod.pointer_position() == (123, 234)
    assert client.windows() is not None
    size = client.call("get_screen_size").structuredContent
    size = size.get("result", size)
    assert (size["width"], size["height"]) == pod.config.size
    wait_until(lambda: value(scrape(pod), "desktop_x_server_up") == 1, 15, 0.5, "desktop_x_server_up 1")


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
