"""The desktop from tests/desktop-e2e (its Pod harness, unchanged) plus the browser-view bridge and a
headless chromium, once for the whole session."""

import io
import os
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).parent
sys.path[:0] = [str(HERE), str(HERE.parent / "desktop-e2e")]

from PIL import Image  # noqa: E402

from bridge import Bridge  # noqa: E402
from browser import Browser  # noqa: E402
from pod import Config, Pod, wait_until  # noqa: E402
from screen import looks_like_xfce_desktop  # noqa: E402
from tcp_counter import CountingRelay  # noqa: E402

RESOLUTION = os.environ.get("BROWSER_VIEW_E2E_RESOLUTION", "1024x640")


def x_grab(pod: Pod) -> Image.Image:
    """The real screen, read from the X server over our own connection (not through VNC)."""
    import mss

    os.environ["XAUTHORITY"] = str(pod.config.xauthority)
    with mss.mss(display=pod.config.display) as grabber:
        shot = grabber.grab(grabber.monitors[0])
        return Image.frombytes("RGB", shot.size, shot.rgb)


@pytest.fixture(scope="session")
def pod(request):
    running = Pod(Config(resolution=RESOLUTION))
    try:
        running.start_desktop()
        wait_until(lambda: looks_like_xfce_desktop(x_grab(running)), 90, interval=0.5, what="Xfce desktop drawn")
        yield running
    finally:
        tail = running.desktop.log_tail() if running.desktop else ""
        running.cleanup()
        if request.session.testsfailed:
            print(f"\n--- last lines of the desktop log ---\n{tail}")


@pytest.fixture(scope="session")
def relay(pod):
    counting = CountingRelay(pod.config.vnc_port)
    yield counting
    counting.close()


@pytest.fixture(scope="session")
def bridge(pod, relay, request):
    running = Bridge(pod.config, relay.port)
    running.start()
    yield running
    tail = running.process.log_tail()
    running.stop()
    if request.session.testsfailed:
        print(f"\n--- last lines of the browser-view log ---\n{tail}")


@pytest.fixture(scope="session")
def browser(pod):
    driver = Browser(pod.config.workdir / "browser-driver.log")
    yield driver
    driver.close()


def png_image(png: bytes) -> Image.Image:
    return Image.open(io.BytesIO(png)).convert("RGB")
