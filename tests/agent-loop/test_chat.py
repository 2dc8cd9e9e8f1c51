"""scripts/chat.sh on the local stack, as the README shows it: one message to databot, through Kagent's
runtime, answered by the scripted model (no Vault here), which says so."""

from __future__ import annotations

import os
import subprocess
import uuid

from conftest import REPO


def test_chat_sends_one_message_and_prints_the_tool_calls_and_the_reply():
    word = f"hello-{uuid.uuid4().hex[:6]}"
    env = {key: value for key, value in os.environ.items() if not key.startswith("VAULT_")}
    run = subprocess.run([str(REPO / "scripts/chat.sh"), "databot", f"Say {word}"], capture_output=True, text=True,
                         env=env, timeout=600)
    assert run.returncode == 0, run.stdout + run.stderr
    output = run.stdout
    assert "chat: model: scripted, not a real one (no model API key for databot in Vault at secret/agents/databot/provided" in output, output
    assert "tool call: run_command" in output and "tool call: list_directory" in output, output
    reply = output.split("reply (completed):\n", 1)[1]
    assert f"You said: 'Say {word}'" in reply and " on Linux " in reply, reply
    # Nothing of the chat is left behind.
    assert not [p for p in os.listdir(os.environ.get("TMPDIR", "/tmp")) if p.startswith("chat.")]
