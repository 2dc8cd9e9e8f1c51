"""What the replay tests share (tests/browser-view/test_replay.py on the host's desktop, and
tests/node/agents/test_audit_and_replay.py on the node): the replay page driven in chromium through
browser.py, an audit event's time as the page keys it, the recorder's segment files read and written
like images/browser-view/src/recording/segmentFile.ts, and comparing screens."""

import base64
import io
import json
import struct
import time
from datetime import datetime, timezone

from PIL import Image, ImageChops, ImageStat

from browser import BrowserError

MAGIC = b"PAREC\0\0\x01"
END_MARK = 0xFFFFFFFF


def png(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data)).convert("RGB")


def difference(a: Image.Image, b: Image.Image, box: tuple[int, int, int, int]) -> float:
    """Mean difference per channel over `box` of the screen (b's size)."""
    a = a.resize(b.size)
    return sum(ImageStat.Stat(ImageChops.difference(a.crop(box), b.crop(box))).mean) / 3


def unix_ms(rfc3339: str) -> int:
    """An audit event's time as the page keys its rows: Unix milliseconds (JavaScript's Date.parse)."""
    return round(datetime.fromisoformat(rfc3339.replace("Z", "+00:00")).timestamp() * 1000)


def segment_state(data: bytes) -> dict:
    """Reads a segment like segmentFile.ts: records, and whether it ends in its trailer."""
    assert data[:8] == MAGIC, data[:8]
    (header_length,) = struct.unpack(">I", data[8:12])
    offset, records, closed = 12 + header_length, 0, False
    while offset + 8 <= len(data):
        at, length = struct.unpack(">II", data[offset:offset + 8])
        if length == END_MARK:
            closed = offset + 8 == len(data)
            break
        if offset + 8 + length > len(data):
            break
        records += 1
        offset += 8 + length
    return {"records": records, "closed": closed, "header": json.loads(data[12:12 + header_length])}


def closed_empty_segment(start_ms: int, width: int, height: int, duration_ms: int) -> bytes:
    """A closed segment with no records, as segmentFile.ts lays one out: what an old recording's file looks
    like to retention and to the replay's index (its name and size, its header and trailer)."""
    header = json.dumps({"format": "persistent-agents desktop recording", "version": 1, "startMs": start_ms,
                         "width": width, "height": height, "pixelFormat": "novnc-rgbx32"}).encode()
    return MAGIC + struct.pack(">I", len(header)) + header + struct.pack(">II", duration_ms, END_MARK)


def segment_name(start_ms: int) -> str:
    """segmentFile.ts's segmentName: the start in UTC, to the millisecond (names sort by start)."""
    moment = datetime.fromtimestamp(start_ms / 1000, timezone.utc)
    return moment.strftime("%Y%m%dT%H%M%S") + f"{start_ms % 1000:03d}Z.vncrec"


def open_replay(browser, url: str, token: str) -> None:
    """The replay page at `url` (the browser view's base URL), logged in, its index loaded."""
    browser.call("open", viewport={"width": 1400, "height": 900})
    browser.call("goto", url=f"{url}/replay")
    assert browser.call("login", token=token)["status"] == 200  # back to /replay after the login
    try:
        browser.call("waitFor", selector="body[data-state=ready]")
    except BrowserError as error:
        # Where the page stopped (seeking, its status line) says more than the timeout.
        state = browser.call("dataset"), browser.call("texts", selector="#status")
        raise BrowserError(f"replay page not ready: dataset and status {state}") from error


def show_event(browser, event: dict, timeout: float = 20) -> Image.Image:
    """Clicks the row of an audit event (a tool call the page lists); returns the replayed screen once drawn
    at the call's end: noVNC's framebuffer as drawn, at the desktop's size (the page scales it to its box,
    and resampling dense text twice differs more than JPEG)."""
    shown = unix_ms(event["time"]) + event["durationMs"]
    browser.call("clickElement", selector=f"#calls tr[data-time='{unix_ms(event['time'])}']")
    deadline = time.monotonic() + timeout
    while True:
        state = browser.call("dataset")
        if state.get("state") == "ready" and abs(int(state.get("position", 0)) - shown) < 2:
            break
        if time.monotonic() > deadline:
            raise AssertionError(f"replay at {event['tool']} ({event['time']}): not after {timeout} s ({state})")
        time.sleep(0.2)
    return png(base64.b64decode(browser.call("canvasPixels")["png"]))
