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
