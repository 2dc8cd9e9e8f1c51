"""The same conversations with the stack's other provider: databot's ModelConfig set to OpenAI (model.baseUrl
at the scripted model's Chat Completions endpoint), so kagent-adk's own OpenAI client carries the turns."""

from __future__ import annotations

import json

import pytest
import yaml
from conftest import LOCAL_STACK, MODEL_API_KEY
from local_agent import LocalAgent
from scenarios import bad_path, write_and_read

PREFIX = "persistent-agents:"


@pytest.fixture(scope="module")
def databot_on_openai(model, controller, tmp_path_factory):
    work = tmp_path_factory.mktemp("openai")
    config = {key.removeprefix(PREFIX): value for key, value in yaml.safe_load(LOCAL_STACK.read_text())["config"].items()
              if key.startswith(PREFIX)}
    (databot,) = [agent for agent in config["agents"] if agent["name"] == "databot"]
    databot["model"] = {"provider": "OpenAI", "name": "gpt-4.1"}
    stack = work / "openai-stack.json"
    stack.write_text(json.dumps(config))
    agent = LocalAgent.start(stack, "databot", work, controller.url, MODEL_API_KEY,
                             model_base_url=f"{model.base_url}/v1", desktop=False)
    assert agent.files["config.json"]["model"] == {"type": "openai", "model": "gpt-4.1", "base_url": f"{model.base_url}/v1"}
    yield agent
    agent.stop()


def test_an_openai_agent_writes_a_file_and_reads_it_back(databot_on_openai, model):
    write_and_read(databot_on_openai, model)
    assert {turn.dialect for turn in model.turns} == {"openai"}


def test_an_openai_agent_gets_a_tool_error_as_text(databot_on_openai, model):
    bad_path(databot_on_openai, model)
