"""A stand-in for the part of kagent's controller that an agent runtime calls: its HTTP API on :8083.

kagent-adk's `static` command (the agent pod's entrypoint) keeps sessions, their events and A2A tasks in
the controller, at KAGENT_URL: `KAgentSessionService` (kagent/adk/_session_service.py) and
`KAgentTaskStore` (kagent/core/a2a/_task_store.py), every answer in the controller's envelope
`{"error": false, "data": ...}`. The controller itself is a Go program no registry this project uses
serves, so this keeps those objects in memory with the same routes and shapes, and lets the tests read
what the runtime stored (the events of a conversation).
"""

from __future__ import annotations

import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse


class ControllerStandIn:
    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.sessions: dict[str, dict[str, Any]] = {}
        self.events: dict[str, list[dict[str, Any]]] = {}
        self.tasks: dict[str, dict[str, Any]] = {}
        self.agent_names: set[str] = set()
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer((host, port), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> "ControllerStandIn":
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serves in the calling thread (the stand-in as a program of its own)."""
        self._server.serve_forever()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def session_events(self, session_id: str) -> list[dict[str, Any]]:
        """The ADK events the runtime stored for a session, parsed."""
        with self._lock:
            return [json.loads(event["data"]) for event in self.events.get(session_id, [])]

    def route(self, method: str, path: str, query: dict[str, str], body: Any) -> tuple[int, Any]:
        with self._lock:
            if method == "POST" and path == "/api/sessions":
                session_id = body.get("id") or f"session-{len(self.sessions) + 1}"
                self.sessions[session_id] = {"id": session_id, "user_id": body["user_id"], "agent_ref": body.get("agent_ref")}
                self.events.setdefault(session_id, [])
                return 200, self.sessions[session_id]
            if method == "GET" and path == "/api/sessions":
                return 200, [s for s in self.sessions.values() if s["user_id"] == query.get("user_id")]
            if match := re.fullmatch(r"/api/sessions/([^/]+)", path):
                session = self.sessions.get(match[1])
                if session is None:
                    return 404, None
                if method == "GET":
                    return 200, {"session": session, "events": list(self.events[match[1]])}
                if method == "DELETE":
                    del self.sessions[match[1]]
                    return 200, None
            if (match := re.fullmatch(r"/api/sessions/([^/]+)/events", path)) and method == "POST":
                if match[1] not in self.sessions:
                    return 404, None
                self.events[match[1]].append({"id": body["id"], "data": body["data"]})
                return 200, None
            if method == "POST" and path == "/api/tasks":
                self.tasks[body["id"]] = body
                return 200, body
            if match := re.fullmatch(r"/api/tasks/([^/]+)", path):
                if method == "GET":
                    return (200, self.tasks[match[1]]) if match[1] in self.tasks else (404, None)
                if method == "DELETE":
                    self.tasks.pop(match[1], None)
                    return 200, None
        return 404, None

    def _handler(self):
        standin = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _serve(self, method: str) -> None:
                url = urlparse(self.path)
                query = {key: values[0] for key, values in parse_qs(url.query).items()}
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length)) if length else None
                if agent := self.headers.get("X-Agent-Name"):
                    standin.agent_names.add(agent)
                status, data = standin.route(method, url.path, query, body)
                payload = json.dumps(
                    {"error": False, "data": data, "message": "ok"} if status == 200 else {"error": True, "message": "not found"}
                ).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def do_GET(self):
                self._serve("GET")

            def do_POST(self):
                self._serve("POST")

            def do_DELETE(self):
                self._serve("DELETE")

        return Handler


if __name__ == "__main__":
    # As the `kagent-controller` pod of the node tier (tests/node/agent-loop): kagent's Service port 8083.
    import argparse

    parser = argparse.ArgumentParser(description="kagent's controller API, as far as an agent runtime calls it")
    parser.add_argument("--host", default="0.0.0.0")
    parser.add_argument("--port", type=int, default=8083)
    arguments = parser.parse_args()
    standin = ControllerStandIn(arguments.host, arguments.port)
    print(f"kagent controller stand-in on {standin.url}", flush=True)
    standin.serve_forever()
