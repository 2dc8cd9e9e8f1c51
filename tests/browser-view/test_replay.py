"""Desktop recording and replay end to end (issue 24): a session driven through MCP (direct calls to the
computer-control sidecar, as tests/desktop-e2e does) is recorded by the browser view; the replay page in
Debian's chromium goes to a tool call and shows the screen as the call's screenshot showed it. Then: the
recording survives a restart and a kill (segments closed cleanly), and nothing is recorded while a
person has taken over in interactive mode."""

import base64
import json
import os
import signal
import sys
import time
from datetime import datetime, timezone
from functools import partial
from pathlib import Path

import pytest
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "desktop-e2e"))

import replay  # noqa: E402
from bridge import Bridge  # noqa: E402
from mcp_calls import McpClient  # noqa: E402
from pod import AGENT_UID, AgentProcess, wait_until  # noqa: E402
from replay import png, segment_state, show_event, unix_ms  # noqa: E402
from test_browser_view import VIEWPORT  # noqa: E402

SEGMENT_SECONDS = 15
TERMINAL = "90x24+40+40"
# Where the terminal's text is, in screen pixels: the part of the screen the calls change.
TERMINAL_BOX = (40, 80, 700, 480)


# Over the terminal's part of the screen: the part the calls change.
difference = partial(replay.difference, box=TERMINAL_BOX)


class Calls:
    """Direct MCP calls to the sidecar, timed by the client (start, duration): how each is found in the
    sidecar's own audit trail."""

    def __init__(self, client: McpClient, audit: Path):
        self.client, self.audit, self.made = client, audit, []

    def call(self, tool: str, arguments: dict | None = None):
        started = time.time()
        result = self.client.call(tool, arguments or {})
        self.made.append({"time": started, "durationMs": (time.time() - started) * 1000, "tool": tool,
                          "arguments": arguments or {}})
        return result

    def screenshot(self) -> Image.Image:
        started = time.time()
        data = self.client.screenshot_png()
        self.made.append({"time": started, "durationMs": (time.time() - started) * 1000, "tool": "take_screenshot",
                          "arguments": {}})
        return png(data)

    def in_trail(self, index: int) -> dict:
        """The sidecar's own audit event of the call made `index`-th: same tool, started within the client's
        timing of it (the trail also holds the calls the test's waits make, which the page lists too)."""
        made = self.made[index]
        start, end = made["time"] * 1000, made["time"] * 1000 + made["durationMs"]
        events = [json.loads(line) for line in (self.audit / "computer-control.jsonl").read_text().splitlines()]
        found = [e for e in events if e["tool"] == made["tool"] and start - 5 <= unix_ms(e["time"]) <= end + 5]
        assert len(found) == 1, f"call {index} ({made['tool']}) in the audit trail: {found}"
        return found[0]


@pytest.fixture(scope="module")
def client(pod):
    pod.start_sidecar()
    yield McpClient(pod.config.mcp_url, pod.config.mcp_token)
    pod.sidecar.stop()


@pytest.fixture(scope="module")
def folders(pod):
    recordings = pod.config.home / ".config/persistent-agents/recordings"
    audit = pod.config.home / ".config/persistent-agents/audit"
    for folder in (recordings, audit):
        folder.mkdir(parents=True, exist_ok=True)
        for part in [folder, *folder.parents][:3]:
            os.chown(part, AGENT_UID, AGENT_UID)
    return recordings, audit


@pytest.fixture(scope="module")
def recording(pod, relay, folders):
    recordings, audit = folders
    running = Bridge(pod.config, relay.port, name="browser-view-recording", extra_env={
        "RECORDING_DIR": str(recordings), "AUDIT_DIR": str(audit), "RECORDING_SEGMENT_SECONDS": str(SEGMENT_SECONDS)})
    running.start()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def session(pod, client, recording, folders):
    """The agent's session: screenshots between changes of the terminal, across several segments."""
    _, audit = folders
    env = pod.config.base_env() | {"XAUTHORITY": str(pod.config.xauthority)}
    terminal = AgentProcess("replay-terminal", ["xfce4-terminal", "--disable-server", "--title=replay-test",
                                                f"--geometry={TERMINAL}"], env, pod.config.workdir / "replay-terminal.log")
    calls = Calls(client, audit)
    wait_until(lambda: any(e.get("event") == "recording-segment-opened" for e in recording.events()), 20,
               what="recording started")
    time.sleep(1)
    shots = {"desktop": calls.screenshot()}
    terminal.start()
    wait_until(lambda: difference(png(client.screenshot_png()), shots["desktop"]) > 10, 30,
               interval=0.5, what="terminal drawn")
    time.sleep(1)
    calls.call("click_screen", {"x": 300, "y": 200})
    calls.call("type_text", {"text": "seq -w 1 30 | sed 's/^/replay-first-/'"})
    calls.call("press_keys", {"keys": "enter"})
    time.sleep(1)
    shots["first"] = calls.screenshot()
    time.sleep(SEGMENT_SECONDS + 2)  # the next screenshot lies in a later segment
    calls.call("type_text", {"text": "clear; ls -l /usr/bin | head -30"})
    calls.call("press_keys", {"keys": "enter"})
    time.sleep(1)
    shots["second"] = calls.screenshot()
    time.sleep(2)  # the recorder has written what followed the last call, the sidecar its audit trail
    yield calls, shots
    terminal.stop()


def open_replay(browser, bridge) -> None:
    replay.open_replay(browser, bridge.url, bridge.token)


def show_call(browser, calls: Calls, index: int) -> Image.Image:
    """Clicks the tool call's row (found by its audit event); returns the replayed screen once drawn."""
    return show_event(browser, calls.in_trail(index))


def screenshot_index(calls: Calls, which: int) -> int:
    return [i for i, c in enumerate(calls.made) if c["tool"] == "take_screenshot"][which]


def test_replay_goes_to_a_tool_call_and_shows_the_screen_as_its_screenshot_did(pod, recording, browser, session):
    calls, shots = session
    open_replay(browser, recording)
    # Every call the session made is listed, from the sidecar's own audit trail, with its summary.
    rows = [f"#calls tr[data-time='{unix_ms(calls.in_trail(i)['time'])}']" for i in range(len(calls.made))]
    summaries = [browser.call("texts", selector=f"{row} td:nth-child(3)") for row in rows]
    assert summaries[1] == ["click_screen x=300 y=200"], summaries
    assert all(len(s) == 1 and s[0].startswith(c["tool"]) for s, c in zip(summaries, calls.made)), summaries
    for which, name in [(1, "first"), (2, "second"), (0, "desktop")]:
        replayed = show_call(browser, calls, screenshot_index(calls, which))
        own = difference(replayed, shots[name])
        others = [difference(replayed, shots[other]) for other in shots if other != name]
        print(f"{name}: {own:.2f} against its screenshot, {[round(o, 2) for o in others]} against the others; "
              f"drawn in {browser.call('dataset').get('seekMs')} ms")
        assert own < 6, f"the replay at the {name} screenshot differs from it by {own:.1f} per channel"
        assert all(other > 3 * own + 2 for other in others), f"the {name} screenshot is not told apart: {others}"


def test_replay_plays_across_segments_to_the_end_and_stops(pod, recording, browser, session):
    calls, shots = session
    open_replay(browser, recording)
    show_call(browser, calls, screenshot_index(calls, 1))  # the first screenshot's moment, in the first segment
    browser.call("selectOption", selector="#speed", value="16")
    browser.call("clickElement", selector="#play")
    wait_until(lambda: browser.call("dataset").get("playing") == "true", 5, interval=0.1, what="playing")
    # It plays on through the later segment (the second screenshot's) and stops by itself at the end of
    # what the page's index holds; the screen then is the second screenshot's (nothing changed after it).
    wait_until(lambda: browser.call("dataset").get("playing") == "false", 60, interval=0.2, what="played to the end")
    state = browser.call("dataset")
    assert int(state["position"]) > calls.made[-1]["time"] * 1000, state
    assert browser.call("texts", selector="#play") == ["Play"]
    replayed = png(base64.b64decode(browser.call("canvasPixels")["png"]))
    own, first = difference(replayed, shots["second"]), difference(replayed, shots["first"])
    print(f"at the end: {own:.2f} against the second screenshot, {first:.2f} against the first")
    assert own < 6 and first > 3 * own + 2, (own, first)


def test_a_link_to_a_moment_opens_the_replay_there_through_the_login(pod, recording, browser, session):
    """/replay#at=<an audit event's RFC 3339 time>, what the runbook tells an operator to open: after the login
    (which goes back to /replay without the fragment) the page shows that moment, not the recording's start."""
    calls, shots = session
    event = calls.in_trail(screenshot_index(calls, 1))
    moment = unix_ms(event["time"]) + round(event["durationMs"])
    at = datetime.fromtimestamp(moment / 1000, timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    browser.call("open", viewport={"width": 1400, "height": 900})
    browser.call("goto", url=f"{recording.url}/replay#at={at}")
    assert browser.call("login", token=recording.token)["status"] == 200
    browser.call("waitFor", selector="body[data-state=ready]")
    assert abs(int(browser.call("dataset")["position"]) - moment) < 2, (browser.call("dataset"), moment)
    replayed = png(base64.b64decode(browser.call("canvasPixels")["png"]))
    own, other = difference(replayed, shots["first"]), difference(replayed, shots["desktop"])
    assert own < 6 and other > 3 * own + 2, (own, other)


def test_recording_survives_a_restart_and_a_kill_with_segments_closed(pod, recording, browser, session, folders):
    recordings, _ = folders
    calls, shots = session
    recording.stop()  # SIGTERM, as the kubelet stops a container
    states = {p.name: segment_state(p.read_bytes()) for p in sorted(recordings.glob("*.vncrec"))}
    assert len(states) >= 2, states  # the session spans two segments (its last screenshot lies in a later one)
    assert all(s["closed"] for s in states.values()), states
    recording.start()
    wait_until(lambda: len(list(recordings.glob("*.vncrec"))) > len(states), 20, what="a new segment after the restart")
    time.sleep(2)
    os.kill(recording.process.pid, signal.SIGKILL)  # no chance to close its segment
    recording.process.wait_exit(10)
    killed = sorted(recordings.glob("*.vncrec"))[-1]
    assert not segment_state(killed.read_bytes())["closed"]
    recording.start()
    wait_until(lambda: any(e.get("event") == "recording-repaired" for e in recording.events(since_start=True)), 20,
               what="the killed segment repaired")
    assert segment_state(killed.read_bytes())["closed"]
    # What was recorded before the restarts still replays.
    open_replay(browser, recording)
    replayed = show_call(browser, calls, screenshot_index(calls, 1))
    assert difference(replayed, shots["first"]) < 6


def test_nothing_is_recorded_while_a_person_has_taken_over(pod, recording, browser, folders):
    recordings, _ = folders
    wait_until(lambda: any(e.get("event") == "recording-segment-opened" for e in recording.events(since_start=True)),
               20, what="recording")
    recording.set_mode("interactive")
    browser.call("open", viewport=VIEWPORT)
    browser.call("goto", url=recording.url)
    browser.call("login", token=recording.token)
    browser.call("waitConnected")
    wait_until(lambda: any(e.get("event") == "recording-segment-closed" and e.get("why") == "paused"
                           for e in recording.events(since_start=True)), 5, what="recording paused")
    before = {p.name: p.stat().st_size for p in recordings.glob("*.vncrec")}
    time.sleep(4)
    assert {p.name: p.stat().st_size for p in recordings.glob("*.vncrec")} == before, "recorded during the takeover"
    browser.call("open", viewport=VIEWPORT)  # the person leaves (the page's context is closed)
    wait_until(lambda: len(list(recordings.glob("*.vncrec"))) > len(before), 10, what="recording resumed")
    recording.set_mode("view-only")
