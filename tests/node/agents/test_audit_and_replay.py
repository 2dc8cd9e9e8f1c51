"""What devbot did, found on the node the way docs/runbook.md ("Find out what an agent did") tells an operator:
its MCP servers' audit trails on its config volume (read with kubectl exec and jq for a time window, and in the
containers' log stream), the desktop recording the browser view writes to the place the stack config says, its
replay page in Debian's chromium showing the desktop as it was at a tool call, and the recording's retention
(desktop.recording in the node tier's config: tests/node/stackProject.ts)."""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
import time
import uuid

import pytest
from mcp.types import ImageContent

from conftest import PortForward, computer_pod, kubectl, mcp_port, secret_value, wait_until
from mcp_calls import McpClient
from replay import (closed_empty_segment, difference, open_replay, png, segment_name, segment_state, show_event,
                    unix_ms)
from screen import looks_like_xfce_desktop

TRAIL_FIELDS = {"v", "agent", "server", "time", "durationMs", "kind", "id", "tool", "arguments", "outcome", "error",
                "caller"}
RFC3339_MS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
AUDIT = "~/.config/persistent-agents/audit"
DAY_MS = 86_400_000
# desktop.recording of devbot in the node tier's config (tests/node/stackProject.ts, DEVBOT_RECORDING): not the
# default 14 days, so that a retention by the default would show.
MAX_AGE_DAYS = 7
RECORDINGS = "/home/agent/.config/persistent-agents/recordings"


def utc(ms: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ms / 1000)) + f".{int(ms) % 1000:03d}Z"


class Made:
    """The tool calls the test makes, timed by the client: each is found in its server's trail by tool and
    by a start within the client's timing of it."""

    def __init__(self):
        self.calls: list[dict] = []

    def call(self, server: str, client: McpClient, tool: str, arguments: dict | None = None, raw: bool = False):
        started = time.time() * 1000
        result = (client.call_raw if raw else client.call)(tool, arguments or {})
        self.calls.append({"server": server, "tool": tool, "start": started, "end": time.time() * 1000})
        return result

    def screenshot(self, client: McpClient) -> bytes:
        result = self.call("computer-control", client, "take_screenshot")
        return base64.b64decode(next(c for c in result.content if isinstance(c, ImageContent)).data)

    def found(self, events: list[dict], made: dict) -> list[dict]:
        return [e for e in events if e["server"] == made["server"] and e.get("tool") == made["tool"]
                and made["start"] - 5 <= unix_ms(e["time"]) <= made["end"] + 5]


def kubeconfig() -> str:
    return os.environ["KUBECONFIG"]


def exec_in(plan: dict, container: str, script: str, input: bytes | None = None) -> bytes:
    """`kubectl exec deploy/<computer> -c <container> -- sh -c <script>`, as the runbook's commands do."""
    result = subprocess.run(["kubectl", "--kubeconfig", kubeconfig(), "-n", plan["namespace"], "exec", "-i",
                             f"deploy/{plan['computer']['name']}", "-c", container, "--", "sh", "-c", script],
                            input=input, capture_output=True, timeout=120)
    assert result.returncode == 0, f"{script}: {result.stderr.decode(errors='replace')}"
    return result.stdout


def terminals(client: McpClient) -> list[dict]:
    return [w for w in client.windows() if w["title"].startswith("Terminal")]


@pytest.fixture(scope="module")
def devbot(plans):
    return plans["devbot"]


@pytest.fixture(scope="module")
def session(devbot, browser):
    """devbot at work while a person watches in the browser view: a terminal opened on its desktop, a
    command typed there and one run in its shell, each with a secret-looking part, a shell call that fails;
    screenshots before and after the typing."""
    token = secret_value(devbot, "mcp-token")
    target = f"svc/{devbot['computer']['name']}"
    view_port = next(p["port"] for p in devbot["computer"]["servicePorts"] if p["name"] == "browser-view")
    marker = f"audit{uuid.uuid4().hex[:8]}"
    secrets = {"typed": f"sk-{uuid.uuid4().hex}", "shape": f"ghp_{uuid.uuid4().hex}{uuid.uuid4().hex[:4]}",
               "named": f"plain{uuid.uuid4().hex[:12]}"}
    made, shots = Made(), {}
    with PortForward(devbot["namespace"], target, view_port) as view, \
            PortForward(devbot["namespace"], target, mcp_port(devbot, "computerControl")) as control_port, \
            PortForward(devbot["namespace"], target, mcp_port(devbot, "shell")) as shell_port:
        browser.call("open", viewport={"width": 1400, "height": 900})
        browser.call("goto", url=f"http://127.0.0.1:{view}/")
        assert browser.call("login", token=secret_value(devbot, "browser-view-token"))["status"] == 200
        browser.call("waitConnected")
        control = McpClient(f"http://127.0.0.1:{control_port}/mcp", token)
        shell = McpClient(f"http://127.0.0.1:{shell_port}/mcp", token)
        first = time.time() * 1000
        shots["before"] = made.screenshot(control)
        for _ in range(3):  # Xfce's Ctrl+Alt+T, again if its settings daemon had not grabbed the keys yet
            made.call("computer-control", control, "press_keys", {"keys": [["ctrl", "alt", "t"]]})
            try:
                wait_until(lambda: terminals(control), 10, "a terminal window", interval=0.3)
                break
            except AssertionError:
                continue
        window = terminals(control)[0]
        x, y = window["left"] + window["width"] // 2, window["top"] + window["height"] // 2
        made.call("computer-control", control, "click_screen", {"x": x, "y": y})
        made.call("computer-control", control, "type_text",
                  {"text": f"seq -w 1 30 | sed 's/^/{marker}-/' # {secrets['typed']}"})
        made.call("computer-control", control, "press_keys", {"keys": "enter"})
        time.sleep(1)
        shots["after"] = made.screenshot(control)
        made.call("shell", shell, "run_command", {"command": f"echo {marker}; export GH_TOKEN={secrets['shape']}",
                                                  "env": {"API_TOKEN": secrets["named"]}})
        failed = made.call("shell", shell, "read_file", {"path": f"workspace/{marker}-missing.txt"}, raw=True)
        assert failed.isError
        last = time.time() * 1000
        time.sleep(2)  # the recorder has written what followed the last call, the servers their trails
        browser.call("open", viewport={"width": 1400, "height": 900})  # the viewer leaves
        # The terminal goes, so that later tests find the desktop as they expect it.
        control.call("type_text", {"text": "exit"})
        control.call("press_keys", {"keys": "enter"})
        wait_until(lambda: not terminals(control), 15, "the terminal closed", interval=0.5)
    box = (window["left"], window["top"], window["left"] + window["width"], window["top"] + window["height"])
    return {"made": made, "shots": shots, "box": box, "click": {"x": x, "y": y}, "marker": marker, "secrets": secrets,
            "window": (first, last)}


def runbook_window(devbot: dict, since: str, until: str) -> list[dict]:
    """docs/runbook.md's command for a time window: both servers' files through the shell container, merged
    in time order by jq."""
    script = (f"kubectl --kubeconfig {kubeconfig()} -n {devbot['namespace']} exec deploy/{devbot['computer']['name']}"
              f" -c shell -- sh -c 'cat ~/.config/persistent-agents/audit/*.jsonl'"
              f" | jq -sc 'sort_by(.time)[] | select(.time >= \"{since}\" and .time < \"{until}\")'")
    out = subprocess.run(["bash", "-o", "pipefail", "-c", script], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return [json.loads(line) for line in out.stdout.splitlines()]


def test_every_tool_call_is_one_line_of_its_servers_trail_found_by_time_as_the_runbook_says(devbot, session):
    made, first, last = session["made"], *session["window"]
    since, until = utc(first - 5), utc(last + 5)
    events = runbook_window(devbot, since, until)
    assert events and all(since <= e["time"] < until for e in events), events
    assert [e["time"] for e in events] == sorted(e["time"] for e in events)
    for call in made.calls:
        found = made.found(events, call)
        assert len(found) == 1, f"{call['server']} {call['tool']}: {found}"
        event = found[0]
        assert set(event) == TRAIL_FIELDS, sorted(event)
        assert (event["v"], event["agent"], event["kind"]) == (1, "devbot", "tool_call"), event
        assert RFC3339_MS.match(event["time"]) and isinstance(event["durationMs"], (int, float)), event
        assert event["durationMs"] <= call["end"] - call["start"] + 5, (event, call)
        assert event["id"] is not None and isinstance(event["caller"], dict), event
    by_tool = {e["tool"]: e for c in made.calls for e in made.found(events, c)}
    assert by_tool["read_file"]["outcome"] == "tool_error" and by_tool["read_file"]["error"], by_tool["read_file"]
    assert all(e["outcome"] == "ok" and e["error"] is None for t, e in by_tool.items() if t != "read_file")
    assert by_tool["click_screen"]["arguments"] == session["click"], by_tool["click_screen"]


def test_secret_looking_arguments_are_redacted_in_the_trail_and_absent_from_the_log_stream(devbot, session):
    made, marker, secrets = session["made"], session["marker"], session["secrets"]
    first, last = session["window"]
    events = runbook_window(devbot, utc(first - 5), utc(last + 5))
    typed = next(e for e in events if e["tool"] == "type_text" and marker in e["arguments"]["text"])
    assert typed["arguments"]["text"] == f"seq -w 1 30 | sed 's/^/{marker}-/' # [REDACTED]", typed
    run = next(e for e in events if e["tool"] == "run_command" and marker in e["arguments"]["command"])
    assert run["arguments"] == {"command": f"echo {marker}; export GH_TOKEN=[REDACTED]",
                                "env": {"API_TOKEN": "[REDACTED]"}}, run
    files = exec_in(devbot, "shell", f"cat {AUDIT}/*.jsonl").decode()
    assert not [s for s in secrets.values() if s in files], "a secret in the trail's files"

    # The log stream (the runbook's `kubectl logs … | grep '"msg":"audit"'`): the same calls, argument names only.
    for container, server in (("shell", "shell"), ("computer-control", "computer-control")):
        log = kubectl("-n", devbot["namespace"], "logs", f"deploy/{devbot['computer']['name']}", "-c", container)
        assert not [s for s in secrets.values() if s in log], f"a secret in {container}'s log"
        audit = [json.loads(line[line.index("{"):]) for line in log.splitlines() if '"msg":"audit"' in line]
        mine = [c for c in made.calls if c["server"] == server]
        for call in mine:
            found = made.found(audit, call)
            assert len(found) == 1 and "arguments" not in found[0], (call, found)
            expected = {"run_command": ["command", "env"], "type_text": ["text"], "read_file": ["path"]}.get(call["tool"])
            assert expected is None or found[0]["argumentNames"] == expected, found[0]


def recording_env(devbot: dict) -> dict:
    """The running pod's browser-view settings (the recorder's), as the deployed stack set them."""
    pod = json.loads(kubectl("-n", devbot["namespace"], "get", "pod", computer_pod(devbot), "-o", "json"))
    view = next(c for c in pod["spec"]["containers"] if c["name"] == "browser-view")
    return {e["name"]: e.get("value") for e in view.get("env", [])} | {
        "mounts": {m["mountPath"]: m["name"] for m in view.get("volumeMounts", [])}}


def test_the_desktop_is_recorded_where_the_config_says_and_replays_in_chromium(devbot, session, browser):
    env = recording_env(devbot)
    folder = env["RECORDING_DIR"]
    assert folder == RECORDINGS and env["mounts"].get("/home/agent/.config") == "config", env
    assert int(env["RECORDING_MAX_AGE_SECONDS"]) == MAX_AGE_DAYS * 86_400, env

    # The segment covering the session, on the config volume as the shell container sees it.
    first, last = session["window"]
    names = exec_in(devbot, "shell", f"ls {folder}").decode().split()
    assert names and all(re.fullmatch(r"\d{8}T\d{9}Z\.vncrec", n) for n in names), names
    covering = [n for n in names if n <= segment_name(int(first))][-1]
    state = segment_state(base64.b64decode(exec_in(devbot, "shell", f"base64 -w0 {folder}/{covering}")))
    assert state["header"]["width"] == 1280 and state["records"] > 1, state

    # The replay page through the browser view, in chromium: the desktop at the screenshot after the typing is
    # the screenshot's, not the one before it.
    made = session["made"]
    events = runbook_window(devbot, utc(first - 5), utc(last + 5))
    shots = [c for c in made.calls if c["tool"] == "take_screenshot"]
    view_port = next(p["port"] for p in devbot["computer"]["servicePorts"] if p["name"] == "browser-view")
    with PortForward(devbot["namespace"], f"svc/{devbot['computer']['name']}", view_port) as local:
        open_replay(browser, f"http://127.0.0.1:{local}", secret_value(devbot, "browser-view-token"))
        replayed = {name: show_event(browser, made.found(events, shot)[0]) for name, shot in zip(("before", "after"), shots)}
        # The runbook's link to a moment (/replay#at=<an audit event's time>), opened logged out: the page opens there.
        after = made.found(events, shots[1])[0]
        moment = unix_ms(after["time"]) + round(after["durationMs"])
        browser.call("open", viewport={"width": 1400, "height": 900})
        browser.call("goto", url=f"http://127.0.0.1:{local}/replay#at={utc(moment)}")
        assert browser.call("login", token=secret_value(devbot, "browser-view-token"))["status"] == 200
        browser.call("waitFor", selector="body[data-state=ready]")
        assert abs(int(browser.call("dataset")["position"]) - moment) < 2, (browser.call("dataset"), moment)
        replayed["link"] = png(base64.b64decode(browser.call("canvasPixels")["png"]))
    shot = {name: png(data) for name, data in session["shots"].items()}
    shot["link"] = shot["after"]
    box = session["box"]
    for name, other in (("after", "before"), ("before", "after"), ("link", "before")):
        own, others = difference(replayed[name], shot[name], box), difference(replayed[name], shot[other], box)
        print(f"replay at the {name} screenshot: {own:.2f} against it, {others:.2f} against the {other} one")
        assert own < 6 and others > 3 * own + 2, (name, own, others)
    assert looks_like_xfce_desktop(replayed["after"]), "the replayed canvas shows the desktop"


def test_recordings_older_than_max_age_days_are_deleted_oldest_first(devbot):
    """Retention runs when a segment closes (every 120 s): two old recordings planted beside the real ones,
    older and younger than the configured 7 days (the default, 14, would keep both)."""
    folder, max_age_ms = RECORDINGS, MAX_AGE_DAYS * DAY_MS
    now = int(time.time() * 1000)
    planted = {}
    for age_ms in (max_age_ms + DAY_MS, max_age_ms - DAY_MS):
        start = now - age_ms - 120_000
        name = segment_name(start)
        exec_in(devbot, "shell", f"cat > {folder}/{name} && touch -d @{(now - age_ms) // 1000} {folder}/{name}",
                input=closed_empty_segment(start, 1280, 800, 120_000))
        planted[age_ms] = name
    old, young = planted[max_age_ms + DAY_MS], planted[max_age_ms - DAY_MS]
    try:
        def deleted() -> list[str]:
            log = kubectl("-n", devbot["namespace"], "logs", f"deploy/{devbot['computer']['name']}", "-c", "browser-view",
                          "--since=5m")
            return [name for line in log.splitlines() if '"recording-retention"' in line
                    for name in json.loads(line[line.index("{"):])["deleted"]]
        wait_until(lambda: old in deleted(), 150, "the recording older than maxAgeDays deleted", interval=5)
        names = exec_in(devbot, "shell", f"ls {folder}").decode().split()
        assert old not in names and young in names, names
        assert young not in deleted()
    finally:
        exec_in(devbot, "shell", f"rm -f {folder}/{old} {folder}/{young}")
