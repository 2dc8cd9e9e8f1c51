"""Kagent's runtime wakes a sleeping computer (issue 23), on the node. Runs after sleep.test.ts (tests/node/run.sh:
`agent-loop-after-sleep`), which deployed `platform.suspend` with a 30 s idleAfter and left both computers asleep.
The runtime (kagent-adk 0.10.4, the agents' kagent pods) is rendered from the same stack file, so its MCP URLs are
the waker's routes, as the RemoteMCPServers are. What it proves:
- `pulumi up` (the scripted model's new address) leaves the computers asleep (replicas belong to the waker), and so
  does a conversation without a tool call (the runtime's initialize and tools/list are answered by the waker);
- a conversation whose first tool call reaches a sleeping computer gets normal answers (no error, no retry): the
  waker held the call while the computer started;
- the runtime's pooled MCP session keeps working across the next sleep: a second conversation, after the computer
  slept again, wakes it through the same session and the runtime never restarted. For devbot that session is the
  computer-control sidecar's, for databot the shell server's.
"""

from __future__ import annotations

import json

import pytest
import scenarios
from cluster import kubectl, wait_until
from conftest import start_agent, stop_agent
from scripted_model import Answer

WAKER_URL = "http://waker.agent-waker.svc.cluster.local"
IDLE_AFTER_SECONDS = 30  # tests/node/sleep.test.ts


def replicas(plan: dict) -> int:
    deployment = json.loads(kubectl("-n", plan["namespace"], "get", "deployment", plan["computer"]["name"], "-o", "json"))
    return deployment["spec"].get("replicas", 1)


def computer_pods(plan: dict) -> int:
    selector = ",".join(f"{k}={v}" for k, v in plan["computer"]["selector"].items())
    return len(json.loads(kubectl("-n", plan["namespace"], "get", "pods", "-l", selector, "-o", "json"))["items"])


def asleep(plan: dict) -> bool:
    return replicas(plan) == 0 and computer_pods(plan) == 0


def wait_asleep(plan: dict) -> None:
    # idleAfter, the waker's 15 s check and the pod's termination.
    wait_until(lambda: asleep(plan), IDLE_AFTER_SECONDS + 120, f"{plan['agent']}'s computer asleep (replicas 0, no pod)",
               interval=2)


def sleeping_agent(plan: dict, image: str, stack_file):
    wait_asleep(plan)
    return start_agent(plan, image, stack_file)


@pytest.fixture(scope="module")
def sleeping_databot(plans, runtime_image, controller, stack_with_the_scripted_model, request):
    agent = sleeping_agent(plans["databot"], runtime_image, stack_with_the_scripted_model)
    yield agent
    stop_agent(agent, request)


@pytest.fixture(scope="module")
def sleeping_devbot(plans, runtime_image, controller, stack_with_the_scripted_model, request):
    agent = sleeping_agent(plans["devbot"], runtime_image, stack_with_the_scripted_model)
    yield agent
    stop_agent(agent, request)


def test_the_runtime_reaches_the_servers_through_the_waker(sleeping_databot, sleeping_devbot):
    for agent in (sleeping_databot, sleeping_devbot):
        urls = [tools["params"]["url"] for tools in agent.files["config.json"]["http_tools"]]
        assert urls and all(url.startswith(f"{WAKER_URL}:") for url in urls), urls


def test_databot_wakes_on_the_runtimes_tool_call_sleeps_and_wakes_again_through_the_same_session(
        sleeping_databot, model, plans):
    plan = plans["databot"]
    assert asleep(plan), "databot's computer woke before the conversation"
    scenarios.write_and_read(sleeping_databot, model)
    assert replicas(plan) == 1
    wait_asleep(plan)
    # A conversation without a tool call: the runtime initialises and lists the tools (discovery, answered by the
    # waker from the servers' last answers), the model answers in words; the computer sleeps on.
    conversation = scenarios.converse(sleeping_databot, model, "Just say hello.",
                                      lambda turn: Answer(text="Hello."))
    assert conversation.reply == "Hello." and conversation.tools == []
    assert asleep(plan), "a conversation without a tool call woke databot's computer"
    # The same runtime pod and its pooled MCP session, a computer that slept in between: a tool call wakes it.
    scenarios.bad_path(sleeping_databot, model)
    assert replicas(plan) == 1
    assert sleeping_databot.runtime.alive(), sleeping_databot.runtime.log_tail()


def test_devbot_wakes_on_the_runtimes_screenshot_and_again_after_the_next_sleep(sleeping_devbot, model, plans):
    plan = plans["devbot"]
    assert asleep(plan)
    scenarios.screenshot(sleeping_devbot, model)
    assert replicas(plan) == 1
    wait_asleep(plan)
    scenarios.screenshot(sleeping_devbot, model)
    assert sleeping_devbot.runtime.alive(), sleeping_devbot.runtime.log_tail()
