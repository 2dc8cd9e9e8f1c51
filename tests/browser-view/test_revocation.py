"""Revocation reaches open pages, in Debian's chromium: token rotation, logout in another profile, idleness;
one cookie per agent; keys and buttons held in interactive mode are released when the mode turns view-only.
Shares the session's desktop, bridge and browser (conftest.py); extra bridges are started where a test
needs other settings."""

import os
import time

import pytest

from bridge import Bridge
from pod import wait_until
from test_browser_view import VIEWPORT, session_status

DESKTOP_POINT = (600, 500)  # on the Xfce desktop background, away from the test terminal


def held_on_x(pod) -> tuple[list[int], int]:
    """Keycodes the X server has down and its pointer button mask, asked over our own connection."""
    import Xlib.display
    from Xlib import X

    os.environ["XAUTHORITY"] = str(pod.config.xauthority)
    display = Xlib.display.Display(pod.config.display)
    try:
        keymap = display.query_keymap()
        keys = [byte * 8 + bit for byte, bits in enumerate(keymap) for bit in range(8) if bits & (1 << bit)]
        buttons = display.screen().root.query_pointer().mask
        return keys, buttons & (X.Button1Mask | X.Button2Mask | X.Button3Mask | X.Button4Mask | X.Button5Mask)
    finally:
        display.close()


def release_on_x(pod) -> None:
    """Cleanup after a failure: releases through XTEST whatever the X server still has down."""
    import Xlib.display
    from Xlib import X
    from Xlib.ext import xtest

    keys, buttons = held_on_x(pod)
    display = Xlib.display.Display(pod.config.display)
    try:
        for keycode in keys:
            xtest.fake_input(display, X.KeyRelease, keycode)
        for button in range(1, 6):
            if buttons & (X.Button1Mask << (button - 1)):
                xtest.fake_input(display, X.ButtonRelease, button)
        display.sync()
    finally:
        display.close()


def connect_page(browser, bridge, profile: str = "main") -> None:
    browser.call("open", viewport=VIEWPORT, profile=profile)
    browser.call("goto", url=bridge.url)
    assert browser.call("login", token=bridge.token)["status"] == 200
    browser.call("waitConnected")


def on_login_form(browser) -> dict | None:
    state = browser.call("state")
    return state if state["loginForm"] else None


@pytest.fixture
def extra_bridges(pod, relay):
    started = []

    def start(**arguments) -> Bridge:
        running = Bridge(pod.config, relay.port, **arguments)
        running.start()
        started.append(running)
        return running

    yield start
    for running in started:
        running.stop()


def test_switching_to_view_only_releases_held_keys_and_buttons(pod, bridge, browser):
    assert held_on_x(pod) == ([], 0)
    bridge.set_mode("interactive")
    try:
        connect_page(browser, bridge)
        wait_until(lambda: browser.call("state")["mode"].startswith("interactive"), 10, what="page shows interactive")
        # The button first: the press focuses noVNC's canvas, which then receives the key.
        browser.call("mouseDown", x=DESKTOP_POINT[0], y=DESKTOP_POINT[1])
        browser.call("keyDown", key="Shift")
        try:
            wait_until(lambda: (lambda held: held if held[0] and held[1] else None)(held_on_x(pod)), 10,
                       what="Shift and button 1 held on the X server")
        except TimeoutError as error:
            raise AssertionError(f"{error}: held {held_on_x(pod)}") from None
        bridge.set_mode("view-only")
        # The page still holds both (it never sent a release); the bridge must release them on the display.
        wait_until(lambda: held_on_x(pod) == ([], 0), 5, what="keys and buttons released on the X server")
        assert any(e.get("event") == "input-released" for e in bridge.events())
    finally:
        bridge.set_mode("view-only")
        release_on_x(pod)


def test_token_rotation_ends_an_open_page_within_seconds(pod, bridge, browser):
    connect_page(browser, bridge)
    rotated = time.monotonic()
    bridge.rotate_token()
    wait_until(lambda: any(e.get("event") == "viewer-closed" and e.get("why") == "session-token-rotated"
                           for e in bridge.events()), 5, what="the bridge closed the page's connection")
    closed = time.monotonic() - rotated
    state = wait_until(lambda: on_login_form(browser), 10, what="the page back on the login form")
    assert state["ended"] == "token-rotated"
    assert closed < 3, f"the open connection lasted {closed:.1f} s after the rotation"


def test_logout_ends_the_same_session_in_another_browser_profile(pod, bridge, browser):
    connect_page(browser, bridge, profile="main")
    cookies = browser.call("cookies")
    # Another browser (its own cookie jar) holding a copy of the cookie: only server state can end it.
    browser.call("open", viewport=VIEWPORT, profile="copy")
    browser.call("addCookies", cookies=cookies)
    browser.call("goto", url=bridge.url)
    browser.call("waitConnected")
    browser.call("profile", name="main")
    browser.call("logout")
    browser.call("profile", name="copy")
    state = wait_until(lambda: on_login_form(browser), 8, what="the copy's page back on the login form")
    assert state["ended"] == "logout"
    assert any(e.get("event") == "viewer-closed" and e.get("why") == "session-logout" for e in bridge.events())


def test_idle_page_ends_and_an_active_one_stays(pod, browser, extra_bridges):
    idle_bridge = extra_bridges(name="browser-view-idle", extra_env={"SESSION_IDLE_SECONDS": "4"})
    connect_page(browser, idle_bridge, profile="idle")
    connect_page(browser, idle_bridge, profile="active")
    started = time.monotonic()
    while time.monotonic() - started < 8:
        browser.call("profile", name="active")
        browser.call("wiggle")
        time.sleep(0.4)
    assert browser.call("state")["state"] == "connected", "a page with a person at it was ended"
    browser.call("profile", name="idle")
    state = wait_until(lambda: on_login_form(browser), 5, what="the idle page back on the login form")
    assert state["ended"] == "idle"


def test_one_agents_logout_leaves_another_agents_view_on_the_same_host(pod, browser, extra_bridges):
    alpha = extra_bridges(name="browser-view-alpha", agent="alpha")
    beta = extra_bridges(name="browser-view-beta", agent="beta")
    # Both on 127.0.0.1 (two port-forwards): one cookie jar, since cookies ignore ports.
    connect_page(browser, alpha)
    browser.call("newTab", name="beta")
    browser.call("goto", url=beta.url)
    assert browser.call("login", token=beta.token)["status"] == 200
    browser.call("waitConnected")
    browser.call("logout")
    browser.call("tab", name="main")
    time.sleep(4)  # more than the page's session poll
    assert browser.call("state")["state"] == "connected"
    names = sorted(c["name"] for c in browser.call("cookies"))
    assert names == ["browser_view_alpha"], names
    assert session_status(alpha, f"browser_view_alpha={browser.call('cookies')[0]['value']}") == 200
