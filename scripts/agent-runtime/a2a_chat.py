"""One message to an agent runtime over A2A (JSON-RPC `message/stream`, a2a-sdk's client), and what came back:
the reply, and the tool calls with their results as kagent-adk reports them (DataParts marked
`kagent_type: function_call` / `function_response`, kagent/adk/converters/part_converter.py).

Also a command: `python a2a_chat.py <runtime URL> "<message>"` prints the reply and the tool calls.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx
from a2a.client import A2ACardResolver, ClientConfig, ClientFactory
from a2a.types import DataPart, Message, Part, Role, Task, TaskState, TextPart

TYPE_KEY = "kagent_type"


@dataclass
class ToolUse:
    id: str
    name: str
    args: dict[str, Any]
    response: dict[str, Any] | None = None


@dataclass
class Conversation:
    reply: str = ""
    state: str = ""
    context_id: str = ""
    tools: list[ToolUse] = field(default_factory=list)

    def calls(self, name: str) -> list[ToolUse]:
        return [tool for tool in self.tools if tool.name == name]


def _texts(parts: list[Part]) -> list[str]:
    return [part.root.text for part in parts if isinstance(part.root, TextPart)]


def _record(conversation: Conversation, message: Message | None) -> None:
    for part in message.parts if message else []:
        if not isinstance(part.root, DataPart):
            continue
        kind = (part.root.metadata or {}).get(TYPE_KEY)
        data = part.root.data
        if kind == "function_call" and not any(tool.id == data.get("id") for tool in conversation.tools):
            conversation.tools.append(ToolUse(id=data.get("id", ""), name=data["name"], args=data.get("args", {})))
        elif kind == "function_response":
            for tool in conversation.tools:
                if tool.id == data.get("id"):
                    tool.response = data.get("response")


async def chat(url: str, text: str, timeout: float = 600, context_id: str | None = None) -> Conversation:
    """Sends `text` to the runtime at `url` (its A2A root) and waits for the end of the task."""
    conversation = Conversation()
    async with httpx.AsyncClient(timeout=httpx.Timeout(timeout, connect=10)) as http:
        card = await A2ACardResolver(http, url).get_agent_card()
        # The card names the agent's in-cluster Service; talk to the address this client reaches it by
        # (a process's port, a port-forward).
        card = card.model_copy(update={"url": url, "additional_interfaces": None})
        client = ClientFactory(ClientConfig(httpx_client=http, streaming=True)).create(card)
        message = Message(role=Role.user, message_id=uuid.uuid4().hex, parts=[Part(root=TextPart(text=text))],
                          context_id=context_id)
        final: Task | None = None
        async for event in client.send_message(message):
            if isinstance(event, Message):
                conversation.reply = "\n".join(_texts(event.parts))
                continue
            task, update = event
            final = task
            status_message = getattr(getattr(update, "status", None), "message", None)
            _record(conversation, status_message)
        if final is not None:
            conversation.state = final.status.state.value
            conversation.context_id = final.context_id
            for item in final.history or []:
                _record(conversation, item)
            artifacts = [t for artifact in final.artifacts or [] for t in _texts(artifact.parts)]
            if artifacts:
                conversation.reply = "\n".join(artifacts)
            elif final.status.message is not None:
                conversation.reply = "\n".join(_texts(final.status.message.parts))
    return conversation


def summarize(result: Any, limit: int = 400) -> str:
    """A tool result for a terminal: an MCP result's text items (an image as its type and size), marked
    when it is an error, shortened."""
    if isinstance(result, dict) and isinstance(result.get("content"), list):
        items = [
            item.get("text", "") if item.get("type") == "text"
            else f"[{item.get('mimeType', item.get('type'))}, {len(item.get('data', '')) * 3 // 4} bytes]"
            for item in result["content"]
        ]
        text = ("ERROR: " if result.get("isError") else "") + "\n".join(items)
    else:
        text = json.dumps(result, ensure_ascii=False)
    text = text.replace("\n", "\n    ")
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} characters)"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url", help="the runtime's A2A root, e.g. http://127.0.0.1:8080")
    parser.add_argument("message")
    parser.add_argument("--timeout", type=float, default=900)
    args = parser.parse_args()
    conversation = asyncio.run(chat(args.url, args.message, args.timeout))
    for tool in conversation.tools:
        print(f"tool call: {tool.name} {json.dumps(tool.args, ensure_ascii=False)}")
        print(f"  result: {summarize(tool.response)}")
    print(f"reply ({conversation.state}):")
    print(conversation.reply)
    return 0 if conversation.state == TaskState.completed.value else 1


if __name__ == "__main__":
    sys.exit(main())
