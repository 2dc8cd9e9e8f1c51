"""The browser view end to end: real Xvnc + Xfce (tests/desktop-e2e's Pod), the real bridge process,
Debian's chromium. Tests run in file order; they share one desktop, one bridge and one browser."""

import http.client
import os
import socket
import time
import urllib.parse
import uuid

import pytest
from PIL import ImageChops, ImageStat

from bridge import Bridge
from conftest import png_image, x_grab
from pod import AgentProcess, wait_until
from screen import looks_like_xfce_desktop

VIEWPORT = {"width": 1100, "height": 760}
# Where the test terminal sits on the X screen, and a point inside it (framebuffer pixels).
TERMINAL_GEOMETRY = "70x14+60+60"
CLICK_POINT = (180, 140)
SETTLE_SECONDS = 3


def upgrade_status(port: int, cookie: str | None = None, origin: str | None = None) -> int:
    """Status line of a raw WebSocket upgrade request, as a browser would send it."""
    headers = [f"GET /websockify HTTP/1.1", f"Host: 127.0.0.1:{port}", "Upgrade: websocket", "Connection: Upgrade",
               "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Version: 13"]
    headers += [f"Cookie: {cookie}"] if cookie else []
    headers += [f"Origin: {origin}"] if origin else []
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        connection.sendall(("\r\n".join(headers) + "\r\n\r\n").encode())
        return int(connection.recv(1024).split(b" ", 2)[1])


def login_cookie(bridge: Bridge, token: str) -> str | None:
    connection = http.client.HTTPConnection("127.0.0.1", bridge.port, timeout=10)
    connection.request("POST", "/login", urllib.parse.urlencode({"token": token}),
                       {"Content-Type": "application/x-www-form-urlencoded"})
    response = connection.getresponse()
    response.read()
    cookie = response.getheader("Set-Cookie")
    return cookie.split(";")[0] if response.status == 303 and cookie else None


def session_status(bridge: Bridge, cookie: str) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", bridge.port, timeout=10)
    connection.request("GET", "/session", headers={"Cookie": cookie})
    response = connection.getresponse()
    response.read()
    return response.status


def mean_difference(a, b) -> float:
    return sum(ImageStat.Stat(ImageChops.difference(a, b)).mean) / 3


@pytest.fixture(scope="module")
def terminal(pod):
    env = pod.config.base_env() | {"XAUTHORITY": str(pod.config.xauthority)}
    process = AgentProcess("terminal", ["xfce4-terminal", "--disable-server", "--title=browser-view-test",
                                        f"--geometry={TERMINAL_GEOMETRY}"], env, pod.config.workdir / "terminal.log")
    before = x_grab(pod)
    process.start()
    box = (60, 60, 400, 250)
    wait_until(lambda: mean_difference(before.crop(box), x_grab(pod).crop(box)) > 20, 30, interval=0.3,
               what="terminal window drawn")
    time.sleep(1)  # the shell prompt
    yield process
    process.stop()


def typed_file(pod) -> tuple[str, "os.PathLike"]:
    word = f"typed{uuid.uuid4().hex[:8]}"
    return word, pod.config.home / f"{word}.txt"


def click_and_type(browser, path, word) -> None:
    browser.call("click", x=CLICK_POINT[0], y=CLICK_POINT[1])
    browser.call("type", text=f"echo {word} > {path}")
    browser.call("press", key="Enter")


def test_refused_before_any_vnc_traffic(pod, relay, bridge, browser):
    before = relay.connections
    assert upgrade_status(bridge.port) == 401
    assert upgrade_status(bridge.port, cookie=f"browser_view_{bridge.agent}={'A' * 43}") == 401
    good = login_cookie(bridge, bridge.token)
    assert good and session_status(bridge, good) == 200
    assert upgrade_status(bridge.port, cookie=good, origin="https://attacker.example") == 403
    assert login_cookie(bridge, "wrong-" + bridge.token) is None

    browser.call("open", viewport=VIEWPORT)
    page = browser.call("goto", url=bridge.url)
    assert page["status"] == 200
    outcome = browser.call("login", token="not-the-token")
    assert outcome["status"] == 401 and outcome["errorShown"]
    assert not browser.call("state")["hasCanvas"]
    refusals = sum(e.get("event") == "upgrade-refused" for e in bridge.events())
    assert browser.call("websocketOutcome", path="/websockify") == "error"
    # Refused by the bridge itself (not, say, by the page's Content-Security-Policy).
    wait_until(lambda: sum(e.get("event") == "upgrade-refused" for e in bridge.events()) == refusals + 1, 5,
               what="the page's WebSocket refused by the bridge")

    # The old token's sessions end when the token is rotated.
    bridge.rotate_token()
    assert session_status(bridge, good) == 401
    assert upgrade_status(bridge.port, cookie=good) == 401
    assert relay.connections == before, "a refused request reached the VNC server"


def test_expired_session_refused_before_any_vnc_traffic(pod, relay):
    short = Bridge(pod.config, relay.port, name="browser-view-short-ttl", extra_env={"SESSION_TTL_SECONDS": "2"})
    short.start()
    try:
        before = relay.connections
        cookie = login_cookie(short, short.token)
        assert cookie and session_status(short, cookie) == 200
        time.sleep(3)
        assert session_status(short, cookie) == 401
        assert upgrade_status(short.port, cookie=cookie) == 401
        assert relay.connections == before
    finally:
        short.stop()


def test_desktop_visible_in_browser(pod, relay, bridge, browser):
    before = relay.connections
    browser.call("open", viewport=VIEWPORT)
    browser.call("goto", url=bridge.url)
    assert browser.call("login", token=bridge.token)["status"] == 200
    box = browser.call("waitConnected")
    assert (box["framebufferWidth"], box["framebufferHeight"]) == pod.config.size
    assert relay.connections == before + 1
    real = x_grab(pod)
    # The first frames arrive in pieces: wait until the canvas shows the whole desktop.
    seen = wait_until(lambda: (lambda image: looks_like_xfce_desktop(image) and image)(png_image(browser.screenshot()[0])),
                      20, interval=0.5, what="Xfce desktop on the page's canvas")
    scaled = seen.resize(real.size)
    difference = mean_difference(scaled, real)
    blank = mean_difference(scaled.point(lambda _: 0), real)
    assert difference < 12, f"canvas differs from the X screen by {difference:.1f} per channel"
    assert blank > 4 * difference


def test_token_in_the_url_fragment_logs_in_and_leaves_the_address_bar(pod, bridge, browser):
    browser.call("open", viewport=VIEWPORT)
    browser.call("goto", url=f"{bridge.url}/#token={bridge.token}")
    browser.call("waitConnected")
    assert bridge.token not in browser.call("url")
    assert browser.call("state")["state"] == "connected"


def test_view_only_drops_input_from_a_page_that_sends_it(pod, bridge, browser, terminal):
    # The page is told "interactive", so noVNC sends input; the server is view-only and must drop it.
    browser.call("open", viewport=VIEWPORT)
    browser.call("pretendInteractive")
    browser.call("goto", url=bridge.url)
    browser.call("login", token=bridge.token)
    browser.call("waitConnected")
    pointer = pod.pointer_position()
    assert pointer != CLICK_POINT
    word, path = typed_file(pod)
    click_and_type(browser, path, word)
    time.sleep(SETTLE_SECONDS)
    assert not path.exists(), "typed text reached the desktop in view-only mode"
    assert pod.pointer_position() == pointer, "the pointer moved in view-only mode"


def test_interactive_after_mode_file_change_on_the_same_connection(pod, bridge, browser, terminal):
    xvnc, server = pod.xvnc_pid(), bridge.process.pid
    bridge.set_mode("interactive")
    word, path = typed_file(pod)
    click_and_type(browser, path, word)
    assert wait_until(lambda: path.exists() and path.read_text(), 15, what="typed file") == f"{word}\n"
    # noVNC maps page pixels back through its scale factor: within a pixel or two of the target.
    x, y = pod.pointer_position()
    assert abs(x - CLICK_POINT[0]) <= 2 and abs(y - CLICK_POINT[1]) <= 2, (x, y)
    assert (pod.xvnc_pid(), bridge.process.pid) == (xvnc, server), "something restarted"
    assert browser.call("state")["state"] == "connected"


def test_back_to_view_only_without_reconnecting(pod, bridge, browser, terminal):
    bridge.set_mode("view-only")
    word, path = typed_file(pod)
    browser.call("type", text=f"echo {word} > {path}")
    browser.call("press", key="Enter")
    time.sleep(SETTLE_SECONDS)
    assert not path.exists()
    assert browser.call("state")["state"] == "connected"


def test_page_follows_the_mode_and_sends_input_when_interactive(pod, bridge, browser, terminal):
    browser.call("open", viewport=VIEWPORT)
    browser.call("goto", url=bridge.url)
    browser.call("login", token=bridge.token)
    browser.call("waitConnected")
    assert browser.call("state")["mode"] == "view-only"
    bridge.set_mode("interactive")
    wait_until(lambda: browser.call("state")["mode"].startswith("interactive"), 10, what="page shows interactive")
    word, path = typed_file(pod)
    click_and_type(browser, path, word)
    assert wait_until(lambda: path.exists() and path.read_text(), 15, what="typed file") == f"{word}\n"
    bridge.set_mode("view-only")
