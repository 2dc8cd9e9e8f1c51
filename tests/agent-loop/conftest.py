"""Fixtures: the scripted model and the controller stand-in for the session, and the local stack's agents
(databot: a shell; devbot: a desktop too) run here with Kagent's runtime on the config their plan gives
(scripts/agent-runtime/local_agent.py)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "scripts/agent-runtime"))

from controller_standin import ControllerStandIn  # noqa: E402
from local_agent import LocalAgent  # noqa: E402
from scripted_model import ScriptedModel  # noqa: E402

# The agents of the README's local stack: devbot has a desktop, databot only a shell.
LOCAL_STACK = REPO / "Pulumi.local.yaml"
MODEL_API_KEY = "scripted-model-key"


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


def run_agent(name: str, model, controller, tmp_path_factory, request, desktop: bool):
    agent = LocalAgent.start(LOCAL_STACK, name, tmp_path_factory.mktemp("render"), controller.url, MODEL_API_KEY,
                             model_base_url=model.base_url, desktop=desktop)
    yield agent
    # The runtime's memory after its conversations (the kagent pod's request and limit are sized on it).
    print(f"\nkagent-adk of {name}: {agent.resident_mib()} MiB resident after its conversations")
    if request.session.testsfailed:
        print(f"\n--- kagent-adk log of {name} ---\n{agent.runtime.log_tail()}")
    agent.stop()


@pytest.fixture(scope="module")
def databot(model, controller, tmp_path_factory, request):
    yield from run_agent("databot", model, controller, tmp_path_factory, request, desktop=False)


@pytest.fixture(scope="module")
def devbot(model, controller, tmp_path_factory, request):
    if os.environ.get("AGENT_LOOP_DESKTOP", "1") == "0" or not os.environ.get("DESKTOP_E2E_VENV"):
        pytest.skip("desktop tests need tests/agent-loop/run.sh with the desktop (AGENT_LOOP_DESKTOP=0 skips them)")
    yield from run_agent("devbot", model, controller, tmp_path_factory, request, desktop=True)
