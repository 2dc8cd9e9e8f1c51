"""The sidecar's audit trail (images/computer-control-mcp/audit_trail.py, docs/audit-trail.md): every tool call
of a real session as one JSON line on the config volume, redacted as the shell server redacts (the shared
cases), rotated and pruned, and echoed to the log stream without its arguments."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import anyio
from mcp import ClientSession
from mcp.client.streamable_http import streamablehttp_client

from pod import AGENT_NAME, REPO

sys.path.insert(0, str(REPO / "images/computer-control-mcp"))
from audit_trail import AuditTrail, Redactor  # noqa: E402

CASES = json.loads((REPO / "tests/audit/redaction-cases.json").read_text())["cases"]
TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"


def test_redacts_the_shared_cases_exactly_as_the_shell_server_does():
    assert len(CASES) >= 10
    for case in CASES:
        limits = case["limits"]
        redactor = Redactor(case["secrets"], limits["maxStringBytes"], limits["maxTotalBytes"])
        assert redactor.arguments(case["arguments"]) == case["expected"], case["name"]


def test_rotates_by_size_and_keeps_only_the_newest_rotated_files(tmp_path):
    trail = AuditTrail(str(tmp_path), AGENT_NAME, max_file_bytes=1000, max_rotated_files=2,
                       max_age_seconds=30 * 86400, echo=None)
    for n in range(60):
        trail.record({"kind": "tool_call", "n": n, "padding": "x" * 40})
    trail.flush()
    files = sorted(path.name for path in tmp_path.iterdir())
    assert len(files) == 3 and "computer-control.jsonl" in files, files
    events = {name: [json.loads(line) for line in (tmp_path / name).read_text().splitlines()] for name in files}
    for name, lines in events.items():
        assert (tmp_path / name).stat().st_size <= 1000 and lines, name
    assert events["computer-control.jsonl"][-1]["n"] == 59, "the open file holds the latest event"
    kept = sorted(event["n"] for lines in events.values() for event in lines)
    assert kept == list(range(kept[0], 60)), "the rotated files kept are the newest, without a gap"
    assert kept[0] > 0, "the oldest events were deleted first"


def test_a_trail_that_cannot_be_written_fails_no_call(tmp_path):
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the folder should be")
    trail = AuditTrail(str(blocked / "audit"), AGENT_NAME, 1000, 2, 86400, echo=None)
    trail.record({"kind": "tool_call", "n": 1})
    trail.flush()
    assert blocked.read_text() == "a file where the folder should be"


def call_with_trace(url: str, token: str, name: str, arguments: dict):
    """One call with a W3C traceparent in the request's _meta, as a traced Kagent runtime sends it."""
    async def run():
        async with streamablehttp_client(url, headers={"Authorization": f"Bearer {token}"}) as (read, write, _):
            async with ClientSession(read, write) as session:
                await session.initialize()
                return await session.call_tool(name, arguments,
                                               meta={"traceparent": f"00-{TRACE_ID}-00f067aa0ba902b7-01"})
    return anyio.run(run)


def test_a_session_is_recorded_call_by_call_with_outcomes_and_redacted_arguments(pod, client):
    trail_file = Path(pod.config.audit_dir) / "computer-control.jsonl"
    offset = trail_file.stat().st_size if trail_file.exists() else 0
    log_file = pod.sidecar.log_path
    log_offset = log_file.stat().st_size
    typed = "export GH_TOKEN=ghp_" + "Q" * 36
    client.call_raw("type_text", {"text": typed})
    client.call_raw("take_screenshot", {})
    assert client.call_raw("activate_window", {"title_pattern": "^no such window$", "use_regex": True}).isError is not None
    assert client.call_raw("click_screen", {"x": "left", "y": 3}).isError
    assert client.call_raw("no_such_tool", {}).isError
    call_with_trace(pod.config.mcp_url, pod.config.mcp_token, "get_screen_size", {})

    def recorded():
        if not trail_file.exists():
            return []
        lines = trail_file.read_bytes()[offset:].decode().splitlines()
        return [json.loads(line) for line in lines]
    deadline = time.monotonic() + 10
    while len(recorded()) < 6 and time.monotonic() < deadline:
        time.sleep(0.1)
    events = recorded()
    assert [(e["tool"], e["outcome"]) for e in events] == [
        ("type_text", "ok"),
        ("take_screenshot", "ok"),
        ("activate_window", "tool_error"),
        ("click_screen", "protocol_error"),
        ("no_such_tool", "protocol_error"),
        ("get_screen_size", "ok"),
    ], events
    for event in events:
        assert event["v"] == 1 and event["agent"] == AGENT_NAME and event["server"] == "computer-control"
        assert event["kind"] == "tool_call" and isinstance(event["durationMs"], float)
        assert event["time"].endswith("Z") and len(event["time"]) == len("2026-12-05T03:15:02.345Z")
    assert events[0]["arguments"] == {"text": "export GH_TOKEN=[REDACTED]"}
    assert "ghp_" not in trail_file.read_text()
    assert events[2]["error"] and events[1]["error"] is None
    assert events[5]["caller"]["traceId"] == TRACE_ID
    # The log stream: the same events, the arguments' names only.
    log = log_file.read_bytes()[log_offset:].decode(errors="replace")
    # Found as the runbook finds them in `kubectl logs` (grep '"msg":"audit"', the shell's lines too).
    echoed = [json.loads(line) for line in log.splitlines() if '"msg":"audit"' in line]
    assert [e["tool"] for e in echoed] == [e["tool"] for e in events]
    assert all("arguments" not in e for e in echoed) and echoed[0]["argumentNames"] == ["text"]
    assert "ghp_" not in log
