"""The sidecar's audit trail: one JSON line per tool call, in the format the shell server writes and the
browser view's replay page reads (docs/audit-trail.md), to <AUDIT_DIR>/computer-control.jsonl on the
agent's config volume, rotated and pruned by size, count and age, and echoed without its arguments to the
log stream for the cluster's collector.

Recording never fails or delays a tool call: `record` only queues; one background thread appends, rotates
and prunes, and a failing write is logged once per failure streak and dropped. Arguments are redacted
first (type_text is the agent typing: a password it types must not land on the disk or in the logs), by
the same rules as the shell server's images/shell/src/audit/redact.ts, which share their test cases
(tests/audit/redaction-cases.json).
"""

from __future__ import annotations

import json
import logging
import os
import queue
import re
import sys
import threading
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

SERVER = "computer-control"
REDACTED = "[REDACTED]"
log = logging.getLogger("audit")

# Argument names whose values are secrets whatever they hold.
SECRET_KEY = re.compile(r"pass(word|wd|phrase)?|secret|token|api[_-]?key|authorization|credential|private[_-]?key|cookie",
                        re.IGNORECASE)
# Secret-looking substrings of free text: the value is replaced, the name kept.
SECRET_PATTERNS = [
    # NAME=value / NAME: value where NAME looks like a secret's name (export GH_TOKEN=…, --password=…).
    re.compile(r"""((?:[A-Za-z0-9_.-]*(?:pass(?:word|wd)?|secret|token|api[_-]?key|credential|private[_-]?key)"""
               r"""[A-Za-z0-9_.-]*)["']?\s*[=:]\s*)("[^"]*"|'[^']*'|[^\s"'&;|]+)""", re.IGNORECASE),
    # Authorization headers.
    re.compile(r"(\b(?:Bearer|Basic|token)\s+)([A-Za-z0-9._~+/=-]{8,})"),
    # Credentials in URLs: https://user:secret@host.
    re.compile(r"(\b[a-z][a-z0-9+.-]*://[^\s/:@]+:)([^\s/@]+)(?=@)", re.IGNORECASE),
]
# Well-known token shapes that need no name beside them.
TOKEN_SHAPES = re.compile(
    r"\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}|glpat-[A-Za-z0-9_-]{20,}|sk-[A-Za-z0-9_-]{20,}"
    r"|xox[abprs]-[A-Za-z0-9-]{10,}|AKIA[0-9A-Z]{16}|eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,})\b")
PRIVATE_KEY_BLOCK = re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(-----END [A-Z ]*PRIVATE KEY-----|$)")


class Redactor:
    """Secrets out, size bounded: `secrets` are literal values removed wherever they occur."""

    def __init__(self, secrets: list[str], max_string_bytes: int = 2048, max_total_bytes: int = 8192):
        self.secrets = [s for s in secrets if len(s) >= 4]
        self.max_string_bytes = max_string_bytes
        self.max_total_bytes = max_total_bytes

    def arguments(self, args: Any) -> Any:
        redacted = self._value(args, None)
        size = len(json.dumps(redacted, ensure_ascii=False, separators=(",", ":")).encode())
        if size <= self.max_total_bytes:
            return redacted
        keys = list(redacted) if isinstance(redacted, dict) else []
        return {"…": f"(truncated, {size} bytes)", "keys": keys}

    def text(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, REDACTED)
        text = TOKEN_SHAPES.sub(REDACTED, PRIVATE_KEY_BLOCK.sub(REDACTED, text))
        for pattern in SECRET_PATTERNS:
            text = pattern.sub(lambda match: match.group(1) + REDACTED, text)
        return text

    def _value(self, value: Any, key: str | None) -> Any:
        if key is not None and SECRET_KEY.search(key) and not isinstance(value, (dict, list)) and value is not None:
            return REDACTED
        if isinstance(value, str):
            size = len(value.encode())
            # Cut before the patterns run, with a margin so a secret straddling the cut still matches whole.
            head = value[: self.max_string_bytes + 512] if len(value) > self.max_string_bytes + 512 else value
            return self._cap(self.text(head), size, head is not value)
        if isinstance(value, list):
            return [self._value(item, None) for item in value]
        if isinstance(value, dict):
            return {k: self._value(v, k) for k, v in value.items()}
        return value

    def _cap(self, text: str, original_bytes: int, cut: bool) -> str:
        encoded = text.encode()
        if len(encoded) <= self.max_string_bytes:
            return f"{text}…(truncated, {original_bytes} bytes)" if cut else text
        head = encoded[: self.max_string_bytes].decode(errors="ignore")  # never half a character
        return f"{head}…(truncated, {original_bytes} bytes)"


class AuditTrail:
    """<dir>/<server>.jsonl, appended by one background thread; rotated to <server>.<UTC start>.jsonl."""

    def __init__(self, directory: str, agent: str | None, max_file_bytes: int, max_rotated_files: int,
                 max_age_seconds: float, echo=sys.stderr):
        self.directory = Path(directory) if directory else None
        self.agent = agent
        self.max_file_bytes = max_file_bytes
        self.max_rotated_files = max_rotated_files
        self.max_age_seconds = max_age_seconds
        self.echo = echo
        self.file = self.directory / f"{SERVER}.jsonl" if self.directory else None
        self._queue: queue.Queue[str | threading.Event] = queue.Queue()
        self._size: int | None = None
        self._failing = False
        self._writer = threading.Thread(target=self._write_forever, name="audit-trail", daemon=True)
        if self.directory:
            self._writer.start()

    def record(self, event: dict[str, Any]) -> None:
        line = json.dumps({"v": 1, "agent": self.agent, "server": SERVER, **event}, ensure_ascii=False,
                          separators=(",", ":")) + "\n"
        if self.echo is not None:
            # The collector is a wider audience than the agent's volume: no arguments there, only their names.
            summary = {k: v for k, v in event.items() if k != "arguments"}
            arguments = event.get("arguments")
            names = list(arguments) if isinstance(arguments, dict) else None
            # Compact, as the shell server's: the runbook's `grep '"msg":"audit"'` finds both servers' lines.
            self.echo.write(json.dumps({"msg": "audit", "server": SERVER, **summary, "argumentNames": names},
                                       separators=(",", ":")) + "\n")
            self.echo.flush()
        if self.directory:
            self._queue.put(line)

    def flush(self, timeout: float = 10) -> None:
        """Returns once everything recorded so far is on disk (or dropped); for shutdown and tests."""
        if not self.directory:
            return
        done = threading.Event()
        self._queue.put(done)
        done.wait(timeout)

    def _write_forever(self) -> None:
        while True:
            item = self._queue.get()
            if isinstance(item, threading.Event):
                item.set()
            else:
                self._append(item)

    def _append(self, line: str) -> None:
        data = line.encode()
        try:
            if self._size is None:
                self.directory.mkdir(parents=True, exist_ok=True)
                self._size = self.file.stat().st_size if self.file.exists() else 0
            if self._size > 0 and self._size + len(data) > self.max_file_bytes:
                self._rotate()
            # One write per line with O_APPEND: a reader sees whole lines except possibly the last.
            descriptor = os.open(self.file, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
            try:
                os.write(descriptor, data)
            finally:
                os.close(descriptor)
            self._size += len(data)
            self._failing = False
        except OSError as error:
            self._size = None  # re-read after the failure: the file may have been truncated or removed
            if not self._failing:
                log.warning("audit_write_failed: %s: %s", self.file, error)
                self._failing = True

    def _rotate(self) -> None:
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        target = self.directory / f"{SERVER}.{stamp}.jsonl"
        n = 1
        while target.exists():
            target = self.directory / f"{SERVER}.{stamp}-{n}.jsonl"
            n += 1
        self.file.rename(target)
        self._size = 0
        self._prune()

    def _prune(self) -> None:
        """Retention: the oldest rotated files go first, past the count or the age limit."""
        rotated = []
        for path in self.directory.glob(f"{SERVER}.*.jsonl"):
            try:
                rotated.append((path.stat().st_mtime_ns, path.name, path))
            except OSError:
                continue
        # Newest first by modification time: names of one second (`…Z.jsonl`, `…Z-1.jsonl`) do not sort by age.
        rotated = [entry for entry in rotated if entry[1] != self.file.name]
        rotated.sort(reverse=True)
        now = time.time_ns()
        for index, (modified, _name, path) in enumerate(rotated):
            if index >= self.max_rotated_files or now - modified > self.max_age_seconds * 1e9:
                try:
                    path.unlink()
                except OSError:
                    pass


def trail_from_environment() -> tuple[AuditTrail, Redactor]:
    """The trail and redactor the launcher's environment describes (the table in docs/audit-trail.md)."""
    def number(name: str, default: float) -> float:
        raw = os.environ.get(name, "")
        try:
            value = float(raw) if raw else default
        except ValueError:
            value = -1
        if value <= 0:
            sys.exit(f"launcher: {name}={raw!r} must be a number > 0 (unset it for {default:g})")
        return value

    directory = os.environ.get("AUDIT_DIR", str(Path.home() / ".config/persistent-agents/audit"))
    trail = AuditTrail(directory, os.environ.get("AGENT_NAME") or None,
                       int(number("AUDIT_MAX_FILE_BYTES", 16 * 1024 * 1024)), int(number("AUDIT_MAX_FILES", 8)),
                       number("AUDIT_MAX_AGE_DAYS", 30) * 86400)
    names = [name.strip() for name in os.environ.get("AUDIT_REDACT_ENV", "").split(",") if name.strip()]
    return trail, Redactor([os.environ[name] for name in names if os.environ.get(name)])


def instrument_tool_calls(mcp, trail: AuditTrail, redactor: Redactor) -> None:
    """Records every call FastMCP dispatches, unknown tools and invalid arguments too (`protocol_error`:
    refused before the tool ran), after it ends."""
    from mcp.server.fastmcp.exceptions import ToolError
    from pydantic import ValidationError

    from metrics import reports_an_error

    manager = mcp._tool_manager
    dispatch = manager.call_tool

    async def audited_call_tool(name, arguments, *args, **kwargs):
        started_at = datetime.now(timezone.utc)
        started = time.perf_counter()
        outcome, error = "tool_error", None
        try:
            result = await dispatch(name, arguments, *args, **kwargs)
            if reports_an_error(result):
                error = error_text(result)
            else:
                outcome = "ok"
            return result
        except ToolError as refused:
            unknown = manager.get_tool(name) is None
            outcome = "protocol_error" if unknown or isinstance(refused.__cause__, ValidationError) else "tool_error"
            error = str(refused)
            raise
        except Exception as failure:
            error = f"{type(failure).__name__}: {failure}"
            raise
        finally:
            trail.record({
                "time": started_at.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
                "durationMs": round((time.perf_counter() - started) * 1000, 1),
                "kind": "tool_call",
                "id": request_id(kwargs.get("context")),
                "tool": name,
                "arguments": redactor.arguments(arguments),
                "outcome": outcome,
                "error": redactor.text(error)[:500] if error is not None else None,
                "caller": caller_of(kwargs.get("context")),
            })

    manager.call_tool = audited_call_tool


def error_text(result) -> str:
    if isinstance(result, tuple):
        result = result[0]
    if isinstance(result, str):
        return result
    if isinstance(result, list) and result:
        return str(getattr(result[0], "text", "error"))
    return "error"


def request_context(context):
    try:
        return context.request_context if context is not None else None
    except (AttributeError, ValueError):  # a Context outside a request raises ValueError
        return None


def request_id(context):
    request = request_context(context)
    return getattr(request, "request_id", None)


def caller_of(context) -> dict[str, str | None]:
    """The client's self-reported name/version (per request from protocol 2026-07-28, else from its
    initialize, which a stateless server does not keep) and the W3C trace id of `_meta.traceparent`."""
    request = request_context(context)
    meta = getattr(request, "meta", None)
    extra = dict(getattr(meta, "model_extra", None) or {})
    info = extra.get("io.modelcontextprotocol/clientInfo")
    if not isinstance(info, dict):
        params = getattr(getattr(request, "session", None), "client_params", None)
        client = getattr(params, "clientInfo", None)
        info = {"name": getattr(client, "name", None), "version": getattr(client, "version", None)}
    client = f"{info['name']}/{info['version']}" if info.get("name") and info.get("version") else info.get("name")
    match = re.match(r"^[0-9a-f]{2}-([0-9a-f]{32})-", str(extra.get("traceparent", "")))
    return {"client": client, "traceId": match.group(1) if match else None}
