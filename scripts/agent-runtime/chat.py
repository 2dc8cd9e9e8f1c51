"""scripts/chat.sh's work: one message to an agent of the local stack, through Kagent's own runtime.

The agent runs here (scripts/agent-runtime/local_agent.py): its computer as processes and kagent-adk on
the config the stack's plan gives it. The model is the agent's real one when its model API key is in
Vault (where its ExternalSecret reads it: `vault kv get`, with VAULT_ADDR and a token in the environment),
and otherwise a scripted model that looks around the computer with the shell tools and says what it saw.
Prints each tool call with its result, then the reply.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from a2a_chat import chat, summarize
from controller_standin import ControllerStandIn
from local_agent import LocalAgent
from runtime import render
from scripted_model import Answer, ScriptedModel, ToolCall, Turn


def say(text: str) -> None:
    print(f"chat: {text}", flush=True)


def key_from_vault(location: dict) -> tuple[str | None, str]:
    """The agent's model API key from Vault, and where it was looked for (or why not)."""
    where = f"{location['mount']}/{location['path']} field {location['field']}"
    if not shutil.which("vault") or not os.environ.get("VAULT_ADDR"):
        return None, f"{where}: no vault CLI or VAULT_ADDR here"
    run = subprocess.run(["vault", "kv", "get", f"-mount={location['mount']}", f"-field={location['field']}",
                          location["path"]], capture_output=True, text=True, timeout=30)
    if run.returncode != 0 or not run.stdout.strip():
        return None, f"{where}: {run.stderr.strip().splitlines()[-1] if run.stderr.strip() else 'not set'}"
    return run.stdout.strip(), where


def look_around(model: ScriptedModel) -> None:
    """The scripted model's answer to any message: two shell calls, then a reply built from their results."""
    system = ToolCall("run_command", {"command": "echo \"$(id -un) on $(uname -srm), in $(pwd)\""})
    files = ToolCall("list_directory", {"path": "."})

    screen = ToolCall("get_screen_size", {})

    def first(turn: Turn) -> Answer:
        desktop = [screen] if screen.name in turn.tool_names else []
        return Answer(text="(scripted model) Looking around my computer.", calls=[system, files, *desktop])

    def reply(turn: Turn) -> Answer:
        who = json.loads(turn.result_text(system))["stdout"].strip()
        listing = turn.result_text(files)
        desktop = f" My screen: {turn.result_text(screen)}." if screen.id in turn.tool_results() else ""
        return Answer(text=f"(scripted model) You said: {turn.user_text()!r}. I am {who}.{desktop} "
                           f"My workspace holds:\n{listing}")

    model.script(first, reply)


def main() -> int:
    parser = argparse.ArgumentParser(description="One message to an agent of a stack, through Kagent's runtime")
    parser.add_argument("agent")
    parser.add_argument("message")
    parser.add_argument("--stack-file", type=Path, required=True)
    parser.add_argument("--timeout", type=float, default=900)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="chat-"))
    controller = ControllerStandIn().start()
    model: ScriptedModel | None = None
    agent: LocalAgent | None = None
    try:
        probe = render(args.stack_file, args.agent, work / "probe", mcp_token="unused")["runtime.json"]
        key, where = key_from_vault(probe["modelApiKey"])
        if key:
            say(f"model: the agent's own ({where})")
        else:
            model = ScriptedModel().start()
            look_around(model)
            say(f"model: scripted, not a real one (no model API key for {args.agent} in Vault at {where})")
        computer = "shell and desktop" if probe.get("resolution") else "shell"
        say(f"starting {args.agent}'s computer ({computer}) as processes here, with a fresh workspace, and "
            "kagent-adk on the config the stack's plan gives it")
        agent = LocalAgent.start(args.stack_file, args.agent, work, controller.url, key or "scripted-model-key",
                                 model_base_url=model.base_url if model else None)
        say(f"sending over A2A to {agent.runtime.url}")
        conversation = asyncio.run(chat(agent.runtime.url, args.message, args.timeout))
        for tool in conversation.tools:
            print(f"tool call: {tool.name} {json.dumps(tool.args, ensure_ascii=False)}")
            print(f"  result: {summarize(tool.response)}")
        print(f"reply ({conversation.state}):")
        print(conversation.reply)
        if model and model.failures:
            say(f"the scripted model saw something wrong: {model.failures}")
            return 1
        return 0 if conversation.state == "completed" else 1
    except Exception as error:  # noqa: BLE001 - say it, with the runtime's log
        say(f"failed: {error}")
        if agent:
            print(agent.runtime.log_tail(3000), file=sys.stderr)
        return 1
    finally:
        if agent:
            agent.stop()
        if model:
            model.stop()
        controller.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
