"""All 15 tools through an MCP client in Go (the official go-sdk, as Kagent's Go code uses), against the
sidecar's mcp 1.30 server: the sidecar must not depend on the Python SDK's own client."""

import json
import os
import re
import subprocess

import pytest

from pod import TOOLS_JSON

GO_CLIENT = os.environ.get("DESKTOP_E2E_GO_CLIENT")


@pytest.mark.skipif(not GO_CLIENT, reason="no Go client built (tests/desktop-e2e/run.sh builds it where go is on PATH)")
def test_a_go_client_lists_and_calls_every_tool(pod, client):
    # A window to activate by its exact title, whatever the desktop shows.
    window = next(w for w in client.windows() if w["title"])
    width, height = pod.config.size
    calls = [
        {"name": "get_screen_size", "arguments": {}},
        {"name": "take_screenshot", "arguments": {}},
        {"name": "list_windows", "arguments": {}},
        {"name": "activate_window", "arguments": {"title_pattern": f"^{re.escape(window['title'])}$",
                                                  "use_regex": True}},
        {"name": "move_mouse", "arguments": {"x": width // 2, "y": height // 2}},
        # The empty middle of the desktop: a click or a drag there opens nothing.
        {"name": "click_screen", "arguments": {"x": width // 2, "y": height // 2}},
        {"name": "mouse_down", "arguments": {"button": "left"}},
        {"name": "mouse_up", "arguments": {"button": "left"}},
        {"name": "drag_mouse", "arguments": {"from_x": width // 2, "from_y": height // 2, "to_x": width // 2 + 20,
                                             "to_y": height // 2 + 20, "duration": 0.1}},
        {"name": "key_down", "arguments": {"key": "shift"}},
        {"name": "key_up", "arguments": {"key": "shift"}},
        {"name": "press_keys", "arguments": {"keys": "shift"}},
        {"name": "type_text", "arguments": {"text": ""}},
        {"name": "wait_milliseconds", "arguments": {"milliseconds": 10}},
        {"name": "take_screenshot_with_ocr", "arguments": {}},
    ]
    run = subprocess.run([GO_CLIENT, pod.config.mcp_url, pod.config.mcp_token], input=json.dumps(calls),
                         capture_output=True, text=True, timeout=240)
    assert run.returncode == 0, run.stderr[-3000:]
    report = json.loads(run.stdout)
    stack_tools = sorted(json.loads(TOOLS_JSON.read_text()))
    assert sorted(report["tools"]) == stack_tools
    assert sorted(call["name"] for call in calls) == stack_tools, "the test must call every tool of the stack"
    # The Go SDK offers 2026-07-28 first; the sidecar (mcp 1.30) answers with the newest it speaks.
    assert report["protocolVersion"] == "2025-11-25"
    for outcome in report["calls"]:
        assert not outcome.get("error") and not outcome["isError"], outcome
        assert not any(block.startswith("text:Error") for block in outcome["content"]), outcome
    shot = next(o for o in report["calls"] if o["name"] == "take_screenshot")
    mime, size = shot["content"][0].split(":")[1:]
    assert mime == "image/png" and int(size) > 10_000
