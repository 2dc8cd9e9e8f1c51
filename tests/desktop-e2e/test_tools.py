import json

import pytest

from mcp_calls import McpClient
from pod import TOOLS_JSON


def stack_tool_names() -> set[str]:
    return set(json.loads(TOOLS_JSON.read_text()))


def test_server_lists_exactly_the_tool_names_the_stack_gives_kagent(client):
    # kagent silently drops a toolNames entry the server does not expose.
    assert client.tool_names() == stack_tool_names()


@pytest.mark.after_all_tests
def test_every_tool_name_of_the_stack_was_exercised_successfully():
    assert stack_tool_names() - McpClient.succeeded == set()


def test_calls_leave_no_error_or_traceback_in_the_sidecar_log(pod, client):
    # mcp 1.13's JSON responses used to log a ClosedResourceError traceback per call.
    log = pod.config.workdir / "computer-control.log"
    offset = log.stat().st_size
    client.screenshot_png()
    client.tool_names()
    client.call("get_screen_size")
    with open(log, "rb") as handle:
        handle.seek(offset)
        new = handle.read().decode(errors="replace")
    assert "Traceback" not in new and " ERROR " not in new, new[-3000:]
