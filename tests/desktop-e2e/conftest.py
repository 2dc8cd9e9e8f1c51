"""One desktop pod for the whole session; tests that break it put it back."""

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from mcp_calls import McpClient  # noqa: E402
from pod import Config, Pod, wait_until  # noqa: E402
from screen import decode, looks_like_xfce_desktop  # noqa: E402


def wait_for_xfce(client: McpClient, timeout: float = 90) -> None:
    """Readiness of the session itself: the panel and wallpaper are drawn."""
    wait_until(lambda: looks_like_xfce_desktop(decode(client.screenshot_png())), timeout,
               interval=0.5, what="Xfce desktop drawn")


@pytest.fixture(scope="session")
def pod(request):
    # Not the default 1280x800, so a start script that ignored RESOLUTION would fail.
    running = Pod(Config(resolution=os.environ.get("DESKTOP_E2E_RESOLUTION", "1152x720")))
    try:
        running.start_desktop()
        running.start_sidecar()
        wait_for_xfce(McpClient(running.config.mcp_url, running.config.mcp_token))
        yield running
    finally:
        logs = {p.name: p.log_tail() for p in (running.desktop, running.sidecar) if p}
        running.cleanup()
        for name, tail in logs.items() if request.session.testsfailed else ():
            print(f"\n--- last lines of {name} log ---\n{tail}")


@pytest.fixture
def client(pod) -> McpClient:
    return McpClient(pod.config.mcp_url, pod.config.mcp_token)


def restart_pod(pod: Pod) -> None:
    """Bring the pod back after a test stopped or broke part of it."""
    for part in (pod.sidecar, pod.desktop):
        if part is not None:
            part.stop()
    pod.kill_leftovers()
    pod.start_desktop()
    pod.start_sidecar()
    wait_for_xfce(McpClient(pod.config.mcp_url, pod.config.mcp_token))


def pytest_collection_modifyitems(config, items):
    # The tool-coverage check must see every other test first, and means
    # nothing when only a subset was selected.
    coverage = [item for item in items if item.get_closest_marker("after_all_tests")]
    for item in coverage:
        items.remove(item)
        items.append(item)
        if config.option.keyword or config.option.markexpr or len(config.args) > 1 or "::" in "".join(config.args):
            item.add_marker(pytest.mark.skip(reason="only meaningful when the whole suite runs"))


def pytest_configure(config):
    config.addinivalue_line("markers", "after_all_tests: runs last, checks what the other tests did")
