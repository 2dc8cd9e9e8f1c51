"""devbot's browser view on the node, in Debian's chromium (tests/browser-view's playwright-core driver):
through a port-forward to the agent's Service, logged in with the token ESO synced, the page shows the
desktop that Xvnc draws in the same pod."""

from __future__ import annotations

import os
from pathlib import Path

from conftest import PortForward, secret_value
from screen import decode, looks_like_xfce_desktop


def test_the_browser_view_shows_devbots_desktop_in_chromium(plans, browser):
    devbot = plans["devbot"]
    port = next(p["port"] for p in devbot["computer"]["servicePorts"] if p["name"] == "browser-view")
    with PortForward(devbot["namespace"], f"svc/{devbot['computer']['name']}", port) as local:
        browser.call("open", viewport={"width": 1400, "height": 900})
        browser.call("goto", url=f"http://127.0.0.1:{local}/")
        login = browser.call("login", token=secret_value(devbot, "browser-view-token"))
        assert login["status"] == 200 and not login.get("errorShown"), login
        browser.call("waitConnected")
        png, box = browser.screenshot()
        canvas = decode(png)
        (Path(os.environ["NODE_TIER_WORK"]) / "browser-view.png").write_bytes(png)
        assert (box["framebufferWidth"], box["framebufferHeight"]) == (1280, 800)
        assert looks_like_xfce_desktop(canvas), "the page's canvas shows the Xfce desktop"
