"""Scenarios on a shell-only agent (the local stack's databot), all through Kagent's runtime: the scripted
model asks for tool calls, kagent-adk makes them against the shell MCP server with the rendered URL,
header and tool filter, and the model checks what comes back."""

from __future__ import annotations

import asyncio
import json
import re
import uuid

from a2a_chat import chat
from conftest import MODEL_API_KEY, REPO
from scripted_model import Answer, ToolCall, Turn

SHELL_TOOLS = json.loads((REPO / "images/shell/tools.json").read_text())


def converse(agent, model, message: str, *steps):
    model.script(*steps)
    conversation = asyncio.run(chat(agent.runtime.url, message, timeout=300))
    assert agent.runtime.alive(), agent.runtime.log_tail()
    assert model.failures == [], model.failures
    assert model.leftover() == 0, f"{model.leftover()} steps of the script never ran; reply: {conversation.reply}"
    return conversation


def result_json(turn: Turn, call: ToolCall) -> dict:
    """The shell tools answer with their structured result as JSON text."""
    return json.loads(turn.result_text(call))


def test_the_model_is_offered_exactly_the_planned_tools_and_a_run_command_writes_a_file_read_back(databot, model):
    word = f"loop-{uuid.uuid4().hex[:8]}"
    write = ToolCall("run_command", {"command": f"mkdir -p notes && echo {word} > notes/hello.txt && echo written"})
    read = ToolCall("read_file", {"path": "notes/hello.txt"})

    def first(turn: Turn) -> Answer:
        # The tool filter: every planned name, nothing else of the server's, plus the runtime's own ask_user.
        assert sorted(turn.tool_names) == sorted([*SHELL_TOOLS, "ask_user"]), turn.tool_names
        assert word in turn.user_text()
        return Answer(text="Writing the file.", calls=[write])

    def second(turn: Turn) -> Answer:
        result = result_json(turn, write)
        assert result["exit_code"] == 0 and result["stdout"] == "written\n", result
        return Answer(calls=[read])

    def third(turn: Turn) -> Answer:
        assert word in turn.result_text(read), turn.result_text(read)
        return Answer(text=f"notes/hello.txt says {word}.")

    conversation = converse(databot, model, f"Write {word} into notes/hello.txt and read it back.", first, second, third)
    assert conversation.state == "completed"
    assert word in conversation.reply
    assert [tool.name for tool in conversation.tools] == ["run_command", "read_file"]
    assert (databot.workspace / "notes/hello.txt").read_text() == f"{word}\n"
    # The runtime reached the shell with the rendered header (the server refuses anything else) and the
    # scripted model with the key the pod gets from the ModelConfig's Secret.
    assert model.api_keys == {MODEL_API_KEY}
    # The config's `stream: true`: the runtime asks the model for server-sent events.
    assert all(turn.request.get("stream") is True for turn in model.turns)


def test_a_long_job_is_started_polled_and_its_output_read(databot, model):
    marker = uuid.uuid4().hex[:8]
    start = ToolCall("start_job", {"command": f"for i in 1 2 3; do echo step-$i-{marker}; sleep 1; done"})
    state: dict = {"polls": 0}

    def started(turn: Turn) -> Answer:
        return Answer(text="Starting the job.", calls=[start])

    def poll(turn: Turn) -> Answer:
        """job_status until the job has ended, a second's pause (run_command sleep 1) between two polls."""
        if "job" not in state:
            result = result_json(turn, start)
            assert result["state"] == "running", result
            state["job"] = result["job_id"]
        elif state["last"].name == "job_status":
            status = result_json(turn, state["last"])
            if status["state"] != "running":
                assert status["state"] == "exited" and status["exit_code"] == 0, status
                state["last"] = ToolCall("read_job_output", {"job_id": state["job"]})
                return Answer(calls=[state["last"]])
            state["last"] = ToolCall("run_command", {"command": "sleep 1"})
            return Answer(text="Still running.", calls=[state["last"]], again=True)
        state["polls"] += 1
        assert state["polls"] <= 20, "the job never ended"
        state["last"] = ToolCall("job_status", {"job_id": state["job"]})
        return Answer(calls=[state["last"]], again=True)

    def read_output(turn: Turn) -> Answer:
        output = result_json(turn, state["last"])["output"]
        assert output.splitlines() == [f"step-{i}-{marker}" for i in (1, 2, 3)], output
        return Answer(text=f"The job printed step-1 to step-3 ({marker}).")

    conversation = converse(databot, model, "Run the three steps as a job and tell me what it printed.",
                            started, poll, read_output)
    assert conversation.state == "completed"
    assert marker in conversation.reply
    names = [tool.name for tool in conversation.tools]
    assert names[0] == "start_job" and names[-1] == "read_job_output" and "job_status" in names, names
    assert state["polls"] >= 2, "the job ended before the first poll: it proves no polling"


def test_a_bad_path_reaches_the_model_as_a_tool_error_and_the_agent_carries_on(databot, model):
    bad = ToolCall("read_file", {"path": "no/such/file.txt"})

    def ask(turn: Turn) -> Answer:
        return Answer(calls=[bad])

    def error_seen(turn: Turn) -> Answer:
        text = turn.result_text(bad)
        assert re.fullmatch(r"read_file: path '.*/no/such/file.txt' does not exist; .*", text, re.DOTALL), text
        # What the model gets is the server's error text alone, so the text must say it: google-adk's
        # Anthropic conversion (models/anthropic_llm.py) sends every tool_result with is_error false, and an
        # OpenAI `tool` message has no such flag.
        assert not turn.tool_results()[bad.id].get("is_error")
        return Answer(text="That file does not exist.")

    conversation = converse(databot, model, "Read no/such/file.txt.", ask, error_seen)
    assert conversation.state == "completed"
    assert conversation.reply == "That file does not exist."
    (call,) = conversation.tools
    assert call.response is not None and call.response.get("isError") is True, call.response
