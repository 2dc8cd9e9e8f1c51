"""A model the tests control: an Anthropic Messages API endpoint (`POST /v1/messages`, streamed as server-sent
events or not) that answers each turn from a script and checks what the runtime sends it.

The stack's default provider is Anthropic, and kagent-adk 0.10.4 reaches it through google-adk's
AnthropicLlm with the ModelConfig's base URL, so this is the runtime's real model path. Each step of a
script gets the request (JSON as sent) and returns the next answer: tool calls or a final text. A step that
finds something wrong raises; the model records the failure and ends the conversation with a text saying
so, and the test fails on `failures`.
"""

from __future__ import annotations

import itertools
import json
import threading
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable


@dataclass
class ToolCall:
    name: str
    input: dict[str, Any]
    id: str = ""


@dataclass
class Answer:
    """What the model says in one turn: some text, then tool calls (none ends the conversation)."""

    text: str = ""
    calls: list[ToolCall] = field(default_factory=list)
    # The same step answers the next turn too (polling).
    again: bool = False


Step = Callable[["Turn"], Answer]


@dataclass
class Turn:
    """One request of the runtime, with helpers to read what came back from the last tool calls."""

    request: dict[str, Any]

    @property
    def messages(self) -> list[dict[str, Any]]:
        return self.request["messages"]

    @property
    def tool_names(self) -> list[str]:
        return [tool["name"] for tool in self.request.get("tools", [])]

    def tool_results(self) -> dict[str, dict[str, Any]]:
        """tool_use_id -> the tool_result block, from the last user message."""
        last = self.messages[-1]
        assert last["role"] == "user", f"the last message is not the user's: {last['role']}"
        blocks = last["content"] if isinstance(last["content"], list) else []
        return {block["tool_use_id"]: block for block in blocks if block.get("type") == "tool_result"}

    def result_text(self, call: ToolCall) -> str:
        results = self.tool_results()
        assert call.id in results, f"no result for {call.name} ({call.id}); got {list(results)}"
        content = results[call.id]["content"]
        if isinstance(content, list):
            return "\n".join(block.get("text", "") for block in content)
        return content

    def user_text(self) -> str:
        """The person's message: the text of the first user message."""
        content = self.messages[0]["content"]
        if isinstance(content, str):
            return content
        return "\n".join(block.get("text", "") for block in content if block.get("type") == "text")


class ScriptedModel:
    def __init__(self) -> None:
        self.steps: deque[Step] = deque()
        self.turns: list[Turn] = []
        self.failures: list[str] = []
        self.api_keys: set[str] = set()
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> "ScriptedModel":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def script(self, *steps: Step) -> None:
        """The answers of the next conversation, in order; what is left over is a failure too."""
        with self._lock:
            self.steps = deque(steps)
            self.turns = []
            self.failures = []

    def leftover(self) -> int:
        return len(self.steps)

    def answer(self, request: dict[str, Any]) -> Answer:
        with self._lock:
            turn = Turn(request)
            self.turns.append(turn)
            if self.failures:
                return Answer(text="SCRIPT FAILED (already)")
            if not self.steps:
                self.failures.append(f"turn {len(self.turns)}: the runtime asked again after the script ended")
                return Answer(text="SCRIPT FAILED: no step left")
            step = self.steps.popleft()
            try:
                answer = step(turn)
            except Exception as error:  # noqa: BLE001 - any failed check ends the conversation
                self.failures.append(f"turn {len(self.turns)} ({getattr(step, '__name__', step)}): {error!r}")
                return Answer(text=f"SCRIPT FAILED: {error}")
            if answer.again:
                self.steps.appendleft(step)
            for call in answer.calls:
                call.id = call.id or f"toolu_scripted_{next(self._ids)}"
            return answer

    def _handler(self):
        model = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # quiet
                pass

            def do_POST(self):
                if self.path.rstrip("/") != "/v1/messages":
                    self.send_error(404)
                    return
                # The key as the SDK sends it: x-api-key, or (anthropic 2.x) Authorization: Bearer.
                bearer = self.headers.get("Authorization", "").removeprefix("Bearer ")
                model.api_keys.add(self.headers.get("x-api-key") or bearer)
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                answer = model.answer(body)
                message_id = f"msg_scripted_{next(model._ids)}"
                blocks = ([{"type": "text", "text": answer.text}] if answer.text else []) + [
                    {"type": "tool_use", "id": call.id, "name": call.name, "input": call.input} for call in answer.calls
                ]
                stop = "tool_use" if answer.calls else "end_turn"
                message = {
                    "id": message_id, "type": "message", "role": "assistant", "model": body.get("model", ""),
                    "content": blocks, "stop_reason": stop, "stop_sequence": None,
                    "usage": {"input_tokens": 1, "output_tokens": 1},
                }
                if body.get("stream"):
                    self._stream(message, blocks, stop)
                else:
                    self._json(message)

            def _json(self, payload: dict[str, Any]) -> None:
                data = json.dumps(payload).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _stream(self, message: dict[str, Any], blocks: list[dict[str, Any]], stop: str) -> None:
                # The event sequence of Anthropic's streaming Messages API.
                events = [("message_start", {"type": "message_start", "message": {**message, "content": [], "stop_reason": None}})]
                for index, block in enumerate(blocks):
                    if block["type"] == "text":
                        start, delta = {"type": "text", "text": ""}, {"type": "text_delta", "text": block["text"]}
                    else:
                        start = {"type": "tool_use", "id": block["id"], "name": block["name"], "input": {}}
                        delta = {"type": "input_json_delta", "partial_json": json.dumps(block["input"])}
                    events += [
                        ("content_block_start", {"type": "content_block_start", "index": index, "content_block": start}),
                        ("content_block_delta", {"type": "content_block_delta", "index": index, "delta": delta}),
                        ("content_block_stop", {"type": "content_block_stop", "index": index}),
                    ]
                events += [
                    ("message_delta", {"type": "message_delta", "delta": {"stop_reason": stop, "stop_sequence": None},
                                       "usage": {"output_tokens": 1}}),
                    ("message_stop", {"type": "message_stop"}),
                ]
                data = "".join(f"event: {name}\ndata: {json.dumps(payload)}\n\n" for name, payload in events).encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        return Handler
