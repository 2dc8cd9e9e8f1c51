"""Fixtures: the scripted model and the controller stand-in for the session, and per agent kind a computer
(the shell alone, or the desktop too) with Kagent's runtime started on the config the plan gives it."""

from __future__ import annotations

import os
import re
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

from computers import ShellServer, desktop_pod
from controller_standin import ControllerStandIn
from runtime import AgentRuntime, reach_locally, render, runtime_env
from scripted_model import ScriptedModel

HERE = Path(__file__).parent
REPO = HERE.parents[1]
# The agents of the README's local stack: devbot has a desktop, databot only a shell.
LOCAL_STACK = REPO / "Pulumi.local.yaml"


@pytest.fixture(scope="session")
def model():
    scripted = ScriptedModel().start()
    yield scripted
    scripted.stop()


@pytest.fixture(scope="session")
def controller():
    standin = ControllerStandIn().start()
    yield standin
    standin.stop()


@dataclass
class RunningAgent:
    name: str
    files: dict
    runtime: AgentRuntime
    shell: ShellServer
    pod: object | None = None

    @property
    def workspace(self) -> Path:
        return self.shell.workspace


def start_agent(name: str, model: ScriptedModel, controller: ControllerStandIn, tmp: Path, desktop: bool) -> RunningAgent:
    token = uuid.uuid4().hex
    files = render(LOCAL_STACK, name, tmp / name, mcp_token=token, model_base_url=model.base_url)
    pod = None
    if desktop:
        resolution = os.environ.get("AGENT_LOOP_RESOLUTION", "1280x800")
        pod = desktop_pod(token, resolution)
    shell = ShellServer(token, display=pod.config.display if pod else None,
                        xauthority=pod.config.xauthority if pod else None)
    try:
        shell.start()
        local = {}
        for server in files["runtime.json"]["mcpServers"]:
            local[server["url"]] = shell.url if server["container"] == "shell" else pod.config.mcp_url
        config = reach_locally(files["config.json"], local)
        secrets = {f"{name}-credentials/model-api-key": "scripted-model-key"}
        env = runtime_env(files["runtime.json"], controller.url, secrets)
        runtime = AgentRuntime({**files, "config.json": config}, env).start()
    except BaseException:
        shell.stop()
        if pod:
            pod.cleanup()
        raise
    return RunningAgent(name, {**files, "config.json": config}, runtime, shell, pod)


def stop_agent(agent: RunningAgent, request) -> None:
    # The runtime's memory after its conversations (the kagent pod's request and limit are sized on it).
    status = Path(f"/proc/{agent.runtime.process.pid}/status").read_text() if agent.runtime.alive() else ""
    if rss := re.search(r"VmRSS:\s+(\d+) kB", status):
        print(f"\nkagent-adk of {agent.name}: {int(rss[1]) // 1024} MiB resident after its conversations")
    if request.session.testsfailed:
        print(f"\n--- kagent-adk log of {agent.name} ---\n{agent.runtime.log_tail()}")
    agent.runtime.stop()
    agent.shell.stop()
    if agent.pod is not None:
        agent.pod.cleanup()


@pytest.fixture(scope="module")
def databot(model, controller, tmp_path_factory, request):
    agent = start_agent("databot", model, controller, tmp_path_factory.mktemp("render"), desktop=False)
    yield agent
    stop_agent(agent, request)


@pytest.fixture(scope="module")
def devbot(model, controller, tmp_path_factory, request):
    if os.environ.get("AGENT_LOOP_DESKTOP", "1") == "0" or not os.environ.get("DESKTOP_E2E_VENV"):
        pytest.skip("desktop tests need tests/agent-loop/run.sh with the desktop (AGENT_LOOP_DESKTOP=0 skips them)")
    agent = start_agent("devbot", model, controller, tmp_path_factory.mktemp("render"), desktop=True)
    yield agent
    stop_agent(agent, request)
