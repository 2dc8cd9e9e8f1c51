"""Tool names that cannot drift: what each real server serves (tools/list, through kagent-adk's own MCP
tool set, unfiltered) against the names the plan puts in the Agent. A name the server does not serve is
dropped silently by kagent; a tool the plan forgot is one the agent never gets."""

from __future__ import annotations

import asyncio

import pytest
from google.adk.tools.mcp_tool import StreamableHTTPConnectionParams
from kagent.adk._mcp_toolset import KAgentMcpToolset


def served_tools(url: str, token: str) -> list[str]:
    async def listing() -> list[str]:
        toolset = KAgentMcpToolset(
            connection_params=StreamableHTTPConnectionParams(url=url, headers={"Authorization": f"Bearer {token}"})
        )
        try:
            return [tool.name for tool in await toolset.get_tools()]
        finally:
            await toolset.close()

    return asyncio.run(listing())


def drift(planned: list[str], served: list[str]) -> dict[str, list[str]]:
    return {
        "planned but not served": sorted(set(planned) - set(served)),
        "served but not planned": sorted(set(served) - set(planned)),
    }


def assert_no_drift(agent, container: str, url: str) -> None:
    (server,) = [s for s in agent.files["runtime.json"]["mcpServers"] if s["container"] == container]
    served = served_tools(url, agent.shell.token)
    assert drift(server["toolNames"], served) == {"planned but not served": [], "served but not planned": []}
    assert len(served) == len(set(served))


def test_the_shell_serves_exactly_the_tools_the_plan_names(databot):
    assert_no_drift(databot, "shell", databot.shell.url)


def test_the_computer_control_sidecar_serves_exactly_the_tools_the_plan_names(devbot):
    assert_no_drift(devbot, "computerControl", devbot.pod.config.mcp_url)


def test_drift_is_reported_both_ways():
    assert drift(["run_command", "press_key"], ["run_command", "press_keys"]) == {
        "planned but not served": ["press_key"],
        "served but not planned": ["press_keys"],
    }


@pytest.mark.parametrize("token", ["wrong-token"])
def test_listing_with_another_token_gets_nothing(databot, token):
    # The names above come from the server that checks the agent's token, not from any server answering.
    with pytest.raises(BaseException):
        served_tools(databot.shell.url, token)
