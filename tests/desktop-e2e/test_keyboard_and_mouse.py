"""Input tools change the real desktop: files appear, windows move, menus open."""

import stat
import time
import uuid

import pytest

from pod import wait_until
from screen import changed_fraction, decode

KAGENT_DEFAULT_TIMEOUT_SECONDS = 30


def terminal_windows(client) -> list[dict]:
    return [w for w in client.windows() if w["title"].startswith("Terminal")]


@pytest.fixture(scope="module")
def terminal(pod):
    from mcp_calls import McpClient

    client = McpClient(pod.config.mcp_url, pod.config.mcp_token)
    # Xfce's own shortcut (exo-open --launch TerminalEmulator); pressed again if
    # the settings daemon had not grabbed the keys yet.
    for _ in range(3):
        client.call("press_keys", {"keys": [["ctrl", "alt", "t"]]})
        try:
            wait_until(lambda: terminal_windows(client), 10, interval=0.3, what="terminal window")
            break
        except TimeoutError:
            continue
    else:
        pytest.fail("Ctrl+Alt+T never opened a terminal")
    yield
    focus_terminal(client)
    client.call("type_text", {"text": "exit"})
    client.call("press_keys", {"keys": "enter"})
    wait_until(lambda: not terminal_windows(client), 10, what="terminal closed")


def focus_terminal(client) -> None:
    client.call("activate_window", {"title_pattern": "^Terminal", "use_regex": True})
    wait_until(lambda: any(w["is_active"] for w in terminal_windows(client)), 5, what="terminal focused")


def run_in_terminal(client, command_text: str) -> None:
    focus_terminal(client)
    client.call("type_text", {"text": command_text})
    client.call("press_keys", {"keys": "enter"})


def file_content(path):
    return path.read_text() if path.exists() else None


def test_type_text_and_press_keys_write_a_file(pod, client, terminal):
    path = pod.config.home / f"typed-{uuid.uuid4().hex[:6]}.txt"
    word = f"typed{uuid.uuid4().hex[:8]}"
    focus_terminal(client)
    # Ctrl+U (a key combination) must erase the decoy, or it ends up in the file.
    client.call("type_text", {"text": "echo decoy "})
    client.call("press_keys", {"keys": [["ctrl", "u"]]})
    run_in_terminal(client, f"echo {word} > {path}")
    assert wait_until(lambda: file_content(path), 10, what="file written") == f"{word}\n"
    # The session runs with umask 022, not the 077 the start script uses for its secrets.
    assert stat.S_IMODE(path.stat().st_mode) == 0o644


def test_key_down_and_key_up_hold_a_modifier(pod, client, terminal):
    path = pod.config.home / f"shouted-{uuid.uuid4().hex[:6]}.txt"
    focus_terminal(client)
    client.call("type_text", {"text": "echo "})
    client.call("key_down", {"key": "shift"})
    client.call("type_text", {"text": "loud"})
    client.call("key_up", {"key": "shift"})
    run_in_terminal(client, f"quiet > {path}")
    assert wait_until(lambda: file_content(path), 10, what="file written") == "LOUDquiet\n"


def test_ocr_reads_the_text_on_screen_within_kagents_timeout(client, terminal):
    run_in_terminal(client, "clear; echo PERSISTENT AGENTS")
    started = time.monotonic()
    result = client.call("take_screenshot_with_ocr", {"title_pattern": "^Terminal", "use_regex": True}, timeout=60)
    seconds = time.monotonic() - started
    text = " ".join(c.text for c in result.content if hasattr(c, "text"))
    assert "PERSISTENTAGENTS" in text.replace(" ", ""), text  # OCR drops the space
    assert seconds < KAGENT_DEFAULT_TIMEOUT_SECONDS


def terminal_position(client) -> tuple[int, int]:
    (window,) = terminal_windows(client)
    return window["left"], window["top"]


def terminal_centre(client) -> tuple[int, int]:
    (window,) = terminal_windows(client)
    return window["left"] + window["width"] // 2, window["top"] + window["height"] // 2


def near(actual, expected, tolerance=12) -> bool:
    return all(abs(a - e) <= tolerance for a, e in zip(actual, expected))


def test_mouse_down_move_and_up_drag_a_window(client, terminal):
    focus_terminal(client)
    left, top = terminal_position(client)
    x, y = terminal_centre(client)
    # Alt+drag moves a window from anywhere inside it (xfwm4's default).
    client.call("key_down", {"key": "alt"})
    try:
        client.call("move_mouse", {"x": x, "y": y})
        client.call("mouse_down", {"button": "left"})
        client.call("move_mouse", {"x": x + 80, "y": y + 40})
        client.call("move_mouse", {"x": x + 160, "y": y + 90})
        client.call("mouse_up", {"button": "left"})
    finally:
        client.call("key_up", {"key": "alt"})
    moved = wait_until(lambda: (p := terminal_position(client)) != (left, top) and p, 5, what="window moved")
    assert near(moved, (left + 160, top + 90))


def test_drag_mouse_moves_a_window_back(client, terminal):
    focus_terminal(client)
    left, top = terminal_position(client)
    x, y = terminal_centre(client)
    client.call("key_down", {"key": "alt"})
    try:
        client.call("drag_mouse", {"from_x": x, "from_y": y, "to_x": x - 120, "to_y": y - 60, "duration": 0.5})
    finally:
        client.call("key_up", {"key": "alt"})
    moved = wait_until(lambda: (p := terminal_position(client)) != (left, top) and p, 5, what="window moved")
    assert near(moved, (left - 120, top - 60))


APPLICATIONS_BUTTON = (50, 12)  # left end of Xfce's top panel
MENU_REGION = (0, 30, 170, 285)


def test_click_screen_opens_the_applications_menu(client):
    before = decode(client.screenshot_png())
    client.call("click_screen", {"x": APPLICATIONS_BUTTON[0], "y": APPLICATIONS_BUTTON[1]})
    try:
        wait_until(lambda: changed_fraction(before, decode(client.screenshot_png()), MENU_REGION) > 0.3,
                   5, interval=0.2, what="menu drawn")
    finally:
        client.call("press_keys", {"keys": "escape"})
    wait_until(lambda: changed_fraction(before, decode(client.screenshot_png()), MENU_REGION) < 0.05,
               5, interval=0.2, what="menu closed")


def test_move_mouse_moves_the_pointer_and_shows_the_clock_tooltip(pod, client):
    width, height = pod.config.size
    client.call("move_mouse", {"x": width // 2, "y": height // 2})
    assert pod.pointer_position() == (width // 2, height // 2)
    tooltip_region = (width - 320, 28, width, 100)
    before = decode(client.screenshot_png())
    clock = (width - 105, 12)
    client.call("move_mouse", {"x": clock[0], "y": clock[1]})
    assert pod.pointer_position() == clock
    wait_until(lambda: changed_fraction(before, decode(client.screenshot_png()), tooltip_region) > 0.05,
               5, interval=0.2, what="tooltip drawn")
    client.call("move_mouse", {"x": width // 2, "y": height // 2})


def test_a_visit_to_a_screen_corner_does_not_lock_later_calls(pod, client):
    # pyautogui's FAILSAFE would make every call after this one raise.
    client.call("move_mouse", {"x": 0, "y": 0})
    client.call("move_mouse", {"x": 200, "y": 200})
    assert pod.pointer_position() == (200, 200)
