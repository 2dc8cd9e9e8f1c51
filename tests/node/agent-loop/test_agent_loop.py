"""The agent loop on the node: Kagent's runtime (kagent-adk 0.10.4) as each agent's kagent pod, configured from
the stack's objects, drives the agent's computer pod through the RemoteMCPServer URLs (cluster DNS, the
bearer token ESO synced, the stack's network policies), with the scripted model on the host. The same
scenarios as tests/agent-loop, where the computer and the runtime are processes."""

from __future__ import annotations

import json

import scenarios
from cluster import kubectl

# The Kagent objects the stack applies, by the key render.ts writes them under in specs.json.
KINDS = {"modelConfig": "modelconfigs.kagent.dev", "agent": "agents.kagent.dev"}


def contained(rendered, live, where: str = "spec") -> list[str]:
    """Where `live` differs from `rendered` (the API server may add defaults; it must not change or drop)."""
    if isinstance(rendered, dict):
        if not isinstance(live, dict):
            return [where]
        return [problem for key, value in rendered.items() for problem in contained(value, live.get(key), f"{where}.{key}")]
    if isinstance(rendered, list):
        if not isinstance(live, list) or len(live) != len(rendered):
            return [where]
        return [problem for i, (a, b) in enumerate(zip(rendered, live)) for problem in contained(a, b, f"{where}[{i}]")]
    return [] if rendered == live else [f"{where}: rendered {rendered!r}, live {live!r}"]


def live_spec(resource: str, metadata: dict) -> dict:
    return json.loads(kubectl("-n", metadata["namespace"], "get", resource, metadata["name"], "-o", "json"))["spec"]


def test_the_runtime_runs_on_what_the_stack_applied(databot, devbot, model):
    """The runtime's config comes from the same plan as the live ModelConfig, RemoteMCPServers and Agent: each
    live object holds what the render used, the model's base URL included."""
    for agent in (databot, devbot):
        specs = agent.files["specs.json"]
        problems = [f"{kind}: {problem}" for kind, resource in KINDS.items()
                    for problem in contained(specs[kind]["spec"], live_spec(resource, specs[kind]["metadata"]))]
        problems += [f"{server['metadata']['name']}: {problem}" for server in specs["mcpServers"]
                     for problem in contained(server["spec"], live_spec("remotemcpservers.kagent.dev", server["metadata"]))]
        assert problems == [], problems
        # The ModelConfig's base URL (checked live above) is the scripted model's, and the runtime uses it.
        assert agent.files["config.json"]["model"]["base_url"] == model.base_url
        # The runtime reaches each server at the RemoteMCPServer's in-cluster URL, unchanged.
        assert [tools["params"]["url"] for tools in agent.files["config.json"]["http_tools"]] == [
            server["spec"]["url"] for server in specs["mcpServers"]]


def test_databot_writes_a_file_and_reads_it_back(databot, model):
    scenarios.write_and_read(databot, model)


def test_databot_starts_a_long_job_polls_it_and_reads_its_output(databot, model):
    scenarios.long_job(databot, model)


def test_databot_gets_a_bad_path_as_a_tool_error_and_carries_on(databot, model):
    scenarios.bad_path(databot, model)


def test_devbot_takes_a_screenshot(devbot, model):
    scenarios.screenshot(devbot, model)


def test_devbot_types_a_command_in_a_terminal_and_reads_its_output_on_the_screen(devbot, model):
    scenarios.terminal(devbot, model)
