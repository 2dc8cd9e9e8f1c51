"""Replay seek latency (issue 24): how long the replay page takes from a seek to the frame drawn, against
the floor of drawing the same frames from the segment's start.

One segment of the active workload (workload.py: typing and scrolling in a terminal) is recorded by the
browser view as in the pod (5 updates a second at most, BENCH_SEGMENT_SECONDS, default 120 s: the
product's default segment). Then, in Debian's chromium, the replay page is sent to points across that
segment, each a backward seek (from near the segment's end), so every seek decodes from the segment's
start, the worst case of a seek (a forward seek inside the open segment only feeds what lies between):

- seek: a click on the timeline to the frame drawn, the page's own measure (data-seek-ms: from its click
  handler to noVNC idle, the frame on the canvas);
- floor: the same moment drawn by a fresh player/noVNC client in the same page with the segment already
  in memory (no click, no page state): the decoding and drawing of the same frames alone.

Seeks and floors alternate, the points in a shuffled order per repeat (BENCH_SEEK_REPEATS, default 4).
Prints JSON (every seek and the summary: p50/p95 of each, their ratios); the summary also on stderr."""

import json
import math
import os
import random
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).parent
REPO = HERE.parents[1]
sys.path[:0] = [str(HERE), str(REPO / "tests/browser-view"), str(REPO / "tests/desktop-e2e")]

from bridge import Bridge  # noqa: E402
from browser import Browser  # noqa: E402
from conftest import x_grab  # noqa: E402
from pod import AGENT_UID, AgentProcess, Config, Pod, wait_until  # noqa: E402
from screen import looks_like_xfce_desktop  # noqa: E402
from workload import Keyboard, active  # noqa: E402

SEGMENT_SECONDS = int(os.environ.get("BENCH_SEGMENT_SECONDS", "120"))
REPEATS = int(os.environ.get("BENCH_SEEK_REPEATS", "4"))
FRACTIONS = [0.1, 0.3, 0.5, 0.7, 0.9]
FPS = 5

# Runs in the replay page: the player module it uses, on a box of the page's screen size, the segment
# fetched and parsed before the clock starts (the page holds a closed segment it has loaded once).
FLOOR = """async (position) => {
    const { Player } = await import("/app/player.js");
    const { segments } = await (await fetch("/replay/index", { cache: "no-store" })).json();
    const screen = document.getElementById("screen").getBoundingClientRect();
    const box = document.createElement("div");
    box.style.cssText = `position:fixed;left:0;top:0;z-index:-1;width:${screen.width}px;height:${screen.height}px`;
    document.body.append(box);
    const fetchSegment = async (name) => (await fetch(`/replay/segments/${name}`, { cache: "no-store" })).arrayBuffer();
    const player = new Player(box, segments, fetchSegment);
    await player.load(player.segmentAt(position));
    const started = performance.now();
    await player.seek(position);
    const ms = performance.now() - started;
    const records = player.current.next;
    player.current.rfb.disconnect();
    box.remove();
    return { ms, records };
}"""
INDEX = """async () => (await fetch("/replay/index", { cache: "no-store" })).json()"""


def percentile(values: list[float], p: float) -> float:
    """Nearest rank: the smallest value with at least p% of the values at or below it."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(len(ordered) * p / 100) - 1)]


def seek_to(browser: Browser, fraction: float) -> dict:
    """Clicks the timeline at `fraction`; waits for the page to have drawn the new position."""
    before = browser.call("dataset").get("position")
    browser.call("clickAt", selector="#timeline", fraction=fraction)
    wait_until(lambda: (lambda d: d.get("state") == "ready" and d.get("position") != before)(browser.call("dataset")),
               120, interval=0.05, what=f"replay at {fraction:.3f} of the timeline")
    return browser.call("dataset")


def measure(browser: Browser) -> list[dict]:
    index = browser.call("evaluate", fn=INDEX)
    segment = index["segments"][0]
    assert segment["closed"], index["segments"]
    # The page's timeline spans its first segment's start to the last one's end (no audit trail here); the
    # open segment grows meanwhile, so the position a click reached is read back from the page.
    start, span = segment["startMs"], index["segments"][-1]["endMs"] - segment["startMs"]
    length = segment["endMs"] - start
    at = lambda fraction: (length * fraction) / span  # noqa: E731  a fraction of the segment, on the timeline
    order = random.Random(24)
    samples = []
    for repeat in range(REPEATS):
        fractions = FRACTIONS[:]
        order.shuffle(fractions)
        for fraction in fractions:
            seek_to(browser, at(0.98))  # so that the next seek goes back: a decode from the segment's start
            shown = seek_to(browser, at(fraction))
            position = int(shown["position"])
            floor = browser.call("evaluate", fn=FLOOR, arg=position)
            sample = {"repeat": repeat, "fraction": fraction, "offset_s": round((position - start) / 1000, 2),
                      "records": floor["records"], "seek_ms": int(shown["seekMs"]), "floor_ms": round(floor["ms"], 1)}
            samples.append(sample)
            print(json.dumps(sample), file=sys.stderr)
    return samples


def summary(samples: list[dict]) -> dict:
    seeks, floors = [s["seek_ms"] for s in samples], [s["floor_ms"] for s in samples]
    ratios = [s["seek_ms"] / max(s["floor_ms"], 1) for s in samples]
    by_fraction = {}
    for fraction in FRACTIONS:
        picked = [s for s in samples if s["fraction"] == fraction]
        by_fraction[str(fraction)] = {
            "offset_s": statistics.median(s["offset_s"] for s in picked),
            "records": statistics.median(s["records"] for s in picked),
            "seek_p50_ms": statistics.median(s["seek_ms"] for s in picked),
            "floor_p50_ms": statistics.median(s["floor_ms"] for s in picked),
        }
    return {
        "seeks": len(samples),
        "seek_p50_ms": percentile(seeks, 50), "seek_p95_ms": percentile(seeks, 95),
        "floor_p50_ms": percentile(floors, 50), "floor_p95_ms": percentile(floors, 95),
        "p50_ratio": round(percentile(seeks, 50) / percentile(floors, 50), 2),
        "p95_ratio": round(percentile(seeks, 95) / percentile(floors, 95), 2),
        "per_seek_ratio_p50": round(percentile(ratios, 50), 2), "per_seek_ratio_p95": round(percentile(ratios, 95), 2),
        "by_fraction": by_fraction,
    }


def main() -> None:
    pod = Pod(Config(resolution="1280x800"))
    terminal = bridge = browser = None
    try:
        pod.start_desktop()
        wait_until(lambda: looks_like_xfce_desktop(x_grab(pod)), 90, interval=0.5, what="Xfce desktop drawn")
        env = pod.config.base_env() | {"XAUTHORITY": str(pod.config.xauthority)}
        terminal = AgentProcess("terminal", ["xfce4-terminal", "--disable-server", "--geometry=100x30+80+60"], env,
                                pod.config.workdir / "terminal.log")
        terminal.start()
        time.sleep(3)
        keyboard = Keyboard(pod.config.display, str(pod.config.xauthority))
        folder = pod.config.workdir / "recording-seek"
        folder.mkdir()
        os.chown(folder, AGENT_UID, AGENT_UID)
        bridge = Bridge(pod.config, pod.config.vnc_port, name="browser-view-seek", extra_env={
            "RECORDING_DIR": str(folder), "RECORDING_FPS": str(FPS), "RECORDING_SEGMENT_SECONDS": str(SEGMENT_SECONDS)})
        bridge.start()
        wait_until(lambda: any(e.get("event") == "recording-segment-opened" for e in bridge.events()), 20,
                   what="recording started")
        active(keyboard, SEGMENT_SECONDS + 2)  # the whole first segment typed on
        keyboard.close()
        wait_until(lambda: sum(e.get("event") == "recording-segment-opened" for e in bridge.events()) >= 2, 20,
                   what="the first segment closed")
        browser = Browser(pod.config.workdir / "browser-driver.log")
        browser.call("open", viewport={"width": 1400, "height": 900})
        browser.call("goto", url=f"{bridge.url}/replay")
        browser.call("login", token=bridge.token)
        browser.call("waitFor", selector="body[data-state=ready]")
        samples = measure(browser)
        result = {"machine": os.uname().nodename, "cpus": os.cpu_count(), "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                  "resolution": pod.config.resolution, "fps": FPS, "segment_seconds": SEGMENT_SECONDS,
                  "load_average_at_end": os.getloadavg(), "samples": samples, "summary": summary(samples)}
        print(json.dumps(result, indent=1))
        print(json.dumps(result["summary"], indent=1), file=sys.stderr)
    finally:
        if browser:
            browser.close()
        if bridge:
            bridge.stop()
        if terminal:
            terminal.stop()
        pod.cleanup()


if __name__ == "__main__":
    main()
