"""Kagent's runtime as a container of images/kagent-runtime (built from the registries by run.sh), on the
config the plan gives databot: the scenario that writes and reads back a file, and the runtime's own tool
listing, through the image's entrypoint, user and mounted /config."""

from __future__ import annotations

import os
import subprocess

import pytest
from conftest import LOCAL_STACK, MODEL_API_KEY
from local_agent import LocalAgent
from scenarios import write_and_read
from test_tool_names import assert_no_drift

IMAGE = os.environ.get("AGENT_LOOP_IMAGE")
pytestmark = pytest.mark.skipif(not IMAGE, reason="run.sh builds the image when podman and buildah are here (root)")


@pytest.fixture(scope="module")
def databot_in_a_container(model, controller, tmp_path_factory):
    agent = LocalAgent.start(LOCAL_STACK, "databot", tmp_path_factory.mktemp("render"), controller.url, MODEL_API_KEY,
                             model_base_url=model.base_url, desktop=False, image=IMAGE)
    yield agent
    print(f"\nkagent-adk in the image: {agent.resident_mib()} MiB resident after its conversation")
    agent.stop()


def test_the_image_runs_a_conversation_that_writes_and_reads_a_file(databot_in_a_container, model):
    write_and_read(databot_in_a_container, model)


def test_the_image_runs_as_kagents_own_does(databot_in_a_container):
    run = subprocess.run(["podman", "exec", databot_in_a_container.runtime.name, "id", "-u"], capture_output=True,
                         text=True, timeout=30)
    assert run.stdout.strip() == "65532", run.stdout + run.stderr
    assert_no_drift(databot_in_a_container, "shell", databot_in_a_container.shell.url)
