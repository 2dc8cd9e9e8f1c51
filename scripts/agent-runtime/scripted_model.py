"""A model the tests control: an Anthropic Messages API endpoint (`POST /v1/messages`) and an OpenAI Chat
Completions one (`POST /v1/chat/completions`), streamed as server-sent events or not, that answer each turn
from a script and check what the runtime sends them.

The stack's providers are Anthropic (the default: kagent-adk 0.10.4 reaches it through google-adk's
AnthropicLlm) and OpenAI (kagent-adk's own client), each with the ModelConfig's base URL, so these are the
runtime's real model paths. Each step of a script gets the turn (the request as sent, read the same way
for both dialects) and returns the next answer: tool calls and/or text. A step that finds something wrong
raises; the model records the failure and ends the conversation with a text saying so, and the test
fails on `failures`.
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
    dialect: str = "anthropic"  # or "openai"

    @property
    def messages(self) -> list[dict[str, Any]]:
        return self.request["messages"]

    @property
    def tool_names(self) -> list[str]:
        tools = self.request.get("tools", [])
        return [tool["function"]["name"] if self.dialect == "openai" else tool["name"] for tool in tools]

    def tool_results(self) -> dict[str, dict[str, Any]]:
        """tool call id -> the result as sent: Anthropic's tool_result block of the last user message, or
        OpenAI's `tool` messages after the last assistant message."""
        if self.dialect == "openai":
            results = {}
            for message in reversed(self.messages):
                if message["role"] != "tool":
                    break
                results[message["tool_call_id"]] = message
            return results
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
        content = next(m for m in self.messages if m["role"] == "user")["content"]
        if isinstance(content, str):
            return content
        return "\n".join(block.get("text", "") for block in content if block.get("type") == "text")


class ScriptedModel:
    def __init__(self, host: str = "127.0.0.1") -> None:
        """`host`: the address to listen on (the node tier's pods reach the host's end of the node's link)."""
        self.steps: deque[Step] = deque()
        self.turns: list[Turn] = []
        self.failures: list[str] = []
        self.api_keys: set[str] = set()
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer((host, 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

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

    def answer(self, request: dict[str, Any], dialect: str = "anthropic") -> Answer:
        with self._lock:
            turn = Turn(request, dialect)
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
                dialects = {"/v1/messages": "anthropic", "/v1/chat/completions": "openai"}
                dialect = dialects.get(self.path.rstrip("/"))
                if dialect is None:
                    self.send_error(404)
                    return
                # The key as the SDKs send it: x-api-key, or Authorization: Bearer (OpenAI; anthropic 2.x).
                bearer = self.headers.get("Authorization", "").removeprefix("Bearer ")
                model.api_keys.add(self.headers.get("x-api-key") or bearer)
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                answer = model.answer(body, dialect)
                if dialect == "openai":
                    self._openai(body, answer)
                    return
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

            def _openai(self, body: dict[str, Any], answer: Answer) -> None:
                """Chat Completions: one choice; streamed as chunks (text delta, tool call deltas, finish, usage)."""
                calls = [{"id": call.id, "type": "function",
                          "function": {"name": call.name, "arguments": json.dumps(call.input)}} for call in answer.calls]
                finish = "tool_calls" if calls else "stop"
                base = {"id": f"chatcmpl-scripted-{next(model._ids)}", "created": 0, "model": body.get("model", "")}
                usage = {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}
                if not body.get("stream"):
                    message = {"role": "assistant", "content": answer.text or None, **({"tool_calls": calls} if calls else {})}
                    self._json({**base, "object": "chat.completion", "usage": usage,
                                "choices": [{"index": 0, "message": message, "finish_reason": finish}]})
                    return
                chunk = {**base, "object": "chat.completion.chunk"}
                deltas = [{"role": "assistant", "content": answer.text}] if answer.text else [{"role": "assistant"}]
                deltas += [{"tool_calls": [{"index": index, **call}]} for index, call in enumerate(calls)]
                chunks = [{**chunk, "choices": [{"index": 0, "delta": delta, "finish_reason": None}]} for delta in deltas]
                chunks.append({**chunk, "choices": [{"index": 0, "delta": {}, "finish_reason": finish}]})
                chunks.append({**chunk, "choices": [], "usage": usage})
                data = "".join(f"data: {json.dumps(c)}\n\n" for c in chunks) + "data: [DONE]\n\n"
                self._send(data.encode(), "text/event-stream")

            def _send(self, data: bytes, content_type: str) -> None:
                self.send_response(200)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _json(self, payload: dict[str, Any]) -> None:
                self._send(json.dumps(payload).encode(), "application/json")

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
                self._send(data, "text/event-stream")

        return Handler
