"""Scenarios on a desktop agent (the local stack's devbot), through Kagent's runtime: screenshots, and a
terminal opened, typed into and read back on the desktop, all as the scripted model's tool calls."""

from __future__ import annotations

import ast
import base64
import json
import re
import struct

from scripted_model import Answer, ToolCall, Turn
from test_shell_scenarios import converse

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_size(data: bytes) -> tuple[int, int]:
    assert data.startswith(PNG_SIGNATURE), data[:16]
    return struct.unpack(">II", data[16:24])


def screenshot_delivery(turn: Turn, call: ToolCall) -> tuple[str, bytes, int]:
    """How the screenshot reached the model (an image block, or text), its bytes, and the characters the
    tool result took."""
    content = turn.tool_results()[call.id]["content"]
    if isinstance(content, list):
        for block in content:
            if block.get("type") == "image":
                return "image block", base64.b64decode(block["source"]["data"]), len(json.dumps(content))
        content = "\n".join(block.get("text", "") for block in content)
    # google-adk's Anthropic conversion (models/anthropic_llm.py) writes str() of the MCP content item.
    item = ast.literal_eval(content)
    assert item["type"] == "image" and item["mimeType"] == "image/png", {k: v for k, v in item.items() if k != "data"}
    return "text", base64.b64decode(item["data"]), len(content)


def test_a_screenshot_reaches_the_model_with_its_pixels_but_as_text_not_as_an_image(devbot, model):
    shot = ToolCall("take_screenshot", {})
    seen: dict = {}
    width, height = (int(n) for n in devbot.pod.config.resolution.split("x"))

    def first(turn: Turn) -> Answer:
        return Answer(text="Looking at the screen.", calls=[shot])

    def second(turn: Turn) -> Answer:
        seen["form"], data, seen["characters"] = screenshot_delivery(turn, shot)
        assert png_size(data) == (width, height)
        return Answer(text=f"The screen is {width}x{height}.")

    conversation = converse(devbot, model, "What does your screen look like?", first, second)
    assert conversation.reply == f"The screen is {width}x{height}."
    # kagent-adk 0.10.4 hands an MCP image to Anthropic as the Python repr of the content item (base64 in
    # text), so no model sees it as an image. A runtime that passes images through fails here: then
    # update docs/architecture.md ("Screenshots do not reach the model as images") and this test.
    assert seen["form"] == "text", f"the screenshot now arrives as {seen['form']}: kagent-adk passes images through"
    print(f"\nscreenshot of {width}x{height} reached the model as {seen['characters']} characters of text")


def test_a_terminal_opened_on_the_desktop_runs_a_typed_command_whose_output_the_next_screenshot_shows(devbot, model):
    terminal = {"title_pattern": "^Terminal", "use_regex": True}
    plan = [
        ToolCall("activate_window", terminal),
        ToolCall("type_text", {"text": "clear; expr 1234 + 4321"}),
        ToolCall("press_keys", {"keys": "enter"}),
        ToolCall("wait_milliseconds", {"milliseconds": 1000}),
        ToolCall("take_screenshot", {}),
        ToolCall("take_screenshot_with_ocr", terminal),
    ]
    state: dict = {"attempts": 0, "done": []}

    def open_terminal() -> Answer:
        """Xfce's own shortcut, then a look at the windows (pressed again if no terminal came up)."""
        state["attempts"] += 1
        assert state["attempts"] <= 3, "Ctrl+Alt+T never opened a terminal"
        state["look"] = ToolCall("list_windows", {})
        # One call per turn: the runtime may run the calls of one turn at the same time.
        state["pending"] = [ToolCall("wait_milliseconds", {"milliseconds": 2500}), state["look"]]
        return Answer(text="Opening a terminal.", calls=[ToolCall("press_keys", {"keys": [["ctrl", "alt", "t"]]})],
                      again=True)

    def step(turn: Turn) -> Answer:
        if state.get("pending"):
            call = state["pending"].pop(0)
            return Answer(calls=[call], again=True)
        if "look" in state and not state.get("opened"):
            if not re.search(r'"title":\s*"Terminal', turn.result_text(state["look"])):
                return open_terminal()
            state["opened"] = True
        elif not state.get("opened"):
            return open_terminal()
        if state["done"]:
            last = state["done"][-1]
            if last.name == "take_screenshot":
                state["screenshot"] = screenshot_delivery(turn, last)[1]
            else:
                text = turn.result_text(last)
                assert not text.lower().startswith("error"), f"{last.name}: {text}"
        if plan:
            state["done"].append(plan.pop(0))
            return Answer(calls=[state["done"][-1]], again=True)
        ocr = turn.result_text(state["done"][-1])
        assert any(line.strip() == "5555" for line in re.findall(r"'([^']*)'", ocr)), ocr
        assert png_size(state["screenshot"]) == tuple(int(n) for n in devbot.pod.config.resolution.split("x"))
        return Answer(text="The terminal printed 5555.")

    conversation = converse(devbot, model, "Open a terminal and compute 1234 + 4321 in it.", step)
    assert conversation.reply == "The terminal printed 5555."
    names = [tool.name for tool in conversation.tools]
    assert "press_keys" in names and "type_text" in names and names[-1] == "take_screenshot_with_ocr", names
