"""The runtime config the stack gives each agent (components/render/kagentRuntime.ts, rendered by
scripts/agent-runtime/render.ts) against kagent-adk 0.10.4's own types: every field must be one the
runtime declares, and the runtime must build its agent from it."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
import yaml
from a2a.types import AgentCard
from kagent.adk.types import AgentConfig

from runtime import render
from strict import unknown_fields

REPO = Path(__file__).resolve().parents[2]
# Fields of the card the 0.10 controller writes for A2A 1.0 clients; a2a-sdk 0.3 (the runtime's) has no
# such field and ignores it (translator/agent/utils.go GetA2AAgentCard).
CARD_FIELDS_FOR_OTHER_CLIENTS = {"supportedInterfaces"}
SHELL_MAX_COMMAND_SECONDS = 600


def stack_sources() -> list[tuple[Path, str]]:
    """(stack file, agent) for every agent of the committed stacks and the golden inputs."""
    sources = []
    files = [REPO / "Pulumi.local.yaml", REPO / "Pulumi.test-cluster.yaml"]
    for golden in sorted((REPO / "tests/golden/inputs").glob("*.yaml")):
        data = yaml.safe_load(golden.read_text())
        files.append(REPO / f"Pulumi.{data['stackFile']}.yaml" if "stackFile" in data else golden)
    for file in dict.fromkeys(files):
        config = yaml.safe_load(file.read_text())["config"]
        agents = config.get("persistent-agents:agents", config.get("agents", []))
        sources += [(file, agent["name"]) for agent in agents]
    return sources


SOURCES = stack_sources()


@pytest.fixture(scope="module", params=SOURCES, ids=[f"{f.stem}:{a}" for f, a in SOURCES])
def rendered(request, tmp_path_factory):
    file, agent = request.param
    token = uuid.uuid4().hex
    return token, render(file, agent, tmp_path_factory.mktemp("rendered"), mcp_token=token)


def test_every_field_of_config_json_is_one_the_runtime_declares(rendered):
    _, files = rendered
    config = AgentConfig.model_validate(files["config.json"])
    assert unknown_fields(config, files["config.json"]) == []


def test_the_agent_card_is_one_the_runtime_reads(rendered):
    _, files = rendered
    card = files["agent-card.json"]
    parsed = AgentCard.model_validate(card)
    assert set(unknown_fields(parsed, card, by_alias=True)) <= CARD_FIELDS_FOR_OTHER_CLIENTS
    runtime = files["runtime.json"]
    assert parsed.name == runtime["agent"].replace("-", "_")
    assert parsed.url == f"http://{runtime['agent']}.{runtime['namespace']}:8080"
    assert parsed.capabilities.streaming is True


def test_the_runtime_builds_its_agent_with_one_tool_set_per_server_filtered_to_the_planned_names(rendered):
    token, files = rendered
    config = AgentConfig.model_validate(files["config.json"])
    agent = config.to_agent(files["runtime.json"]["agent"].replace("-", "_"))
    servers = files["runtime.json"]["mcpServers"]
    assert len(config.http_tools) == len(servers)
    for tools, server in zip(config.http_tools, servers):
        assert tools.params.url == server["url"]
        assert tools.tools == server["toolNames"]
        # What the shell server and the sidecar check (the ExternalSecret's template, the mounted token).
        assert tools.params.headers == {"Authorization": f"Bearer {token}"}
        assert tools.params.terminate_on_close is True
    toolsets = [tool for tool in agent.tools if type(tool).__name__ == "KAgentMcpToolset"]
    assert len(toolsets) == len(servers)


def golden_remote_mcp_urls() -> list[tuple[str, Path, str, list[str]]]:
    """(golden name, stack file, agent, the URLs of the agent's RemoteMCPServers in the golden render)."""
    cases = []
    for golden in sorted((REPO / "tests/golden/inputs").glob("*.yaml")):
        data = yaml.safe_load(golden.read_text())
        file = REPO / f"Pulumi.{data['stackFile']}.yaml" if "stackFile" in data else golden
        urls: dict[str, list[str]] = {}

        def walk(node):
            if isinstance(node, dict):
                if node.get("kind") == "RemoteMCPServer" and "spec" in node:
                    agent = node["metadata"]["labels"]["persistent-agents.dev/agent"]
                    urls.setdefault(agent, []).append(node["spec"]["url"])
                for value in node.values():
                    walk(value)
            elif isinstance(node, list):
                for value in node:
                    walk(value)

        walk(yaml.safe_load((REPO / "tests/golden/outputs" / golden.stem / "render.yaml").read_text()))
        cases += [(golden.stem, file, agent, found) for agent, found in urls.items()]
    return cases


@pytest.mark.parametrize("name,file,agent,urls", golden_remote_mcp_urls(),
                         ids=lambda value: value if isinstance(value, str) and "/" not in value else "")
def test_the_runtime_calls_the_urls_the_program_gives_its_remote_mcp_servers(name, file, agent, urls, tmp_path):
    """The same plan as the program's: with sleep on idle the URLs are the waker's routes (a runtime that
    called the computer directly would find no pod while it sleeps)."""
    files = render(file, agent, tmp_path, mcp_token="t")
    assert [tools["params"]["url"] for tools in files["config.json"]["http_tools"]] == urls, name


def test_no_tool_call_is_cut_short_by_the_runtimes_timeouts(rendered):
    """kagent-adk's MCP session reads each response with sse_read_timeout (google-adk's session_context.py);
    the HTTP client's connect and write use timeout. Both must outlast the longest call of the server."""
    _, files = rendered
    for tools, server in zip(files["config.json"].get("http_tools", []), files["runtime.json"]["mcpServers"]):
        params = tools["params"]
        longest = SHELL_MAX_COMMAND_SECONDS if server["container"] == "shell" else 60
        assert params["timeout"] > longest and params["sse_read_timeout"] > longest, (server["name"], params)


def test_a_field_the_runtime_does_not_declare_is_caught(rendered):
    _, files = rendered
    config = json.loads(json.dumps(files["config.json"]))
    config["model"]["temperatur"] = 0.2
    if config.get("http_tools"):
        config["http_tools"][0]["tool_names"] = ["run_command"]
        config["http_tools"][0]["params"]["read_timeout"] = 5
    expected = {"model.temperatur"} | (
        {"http_tools[0].tool_names", "http_tools[0].params.read_timeout"} if config.get("http_tools") else set()
    )
    assert set(unknown_fields(AgentConfig.model_validate(config), config)) == expected


def test_anthropic_max_tokens_is_a_field_the_runtime_does_not_have():
    """Why the stack refuses model.maxTokens with Anthropic: the 0.10 controller would emit it, and
    kagent-adk's Anthropic model drops it."""
    config = {"model": {"type": "anthropic", "model": "claude", "max_tokens": 4096}, "description": "", "instruction": "x"}
    assert unknown_fields(AgentConfig.model_validate(config), config) == ["model.max_tokens"]
