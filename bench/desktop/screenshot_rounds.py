"""Screenshot and OCR latency: the MCP path against the raw X grab, interleaved.

Every round runs each variant once, in a fresh random order, so load from other
work on the machine hits all variants alike; the ratios of the p50s are what
counts. Variants:

  * `mcp:<name>`: `take_screenshot` through MCP (official Python client, one open
    session per server; `mcp_new_session` opens a session per call, like a
    client that keeps none); the "(screen changed before each call)" variant
    paints a 64x64 square on the screen first (untimed), so the sidecar must grab
    and encode that part again; "(whole screen changed ...)" shifts the whole
    screen by one pixel first (untimed), the worst case: every row is grabbed
    and encoded again;
  * `mcp:ping`: an MCP ping on the same session: what MCP, JSON-RPC and HTTP cost
    without a tool or an image;
  * `raw_grab`: the floor, one `mss` grab of the whole screen on a kept
    connection (what the tool has to do at least);
  * `raw_grab_plus_png`: the grab plus one PNG encode with Pillow's defaults
    (what a single encode costs on top);
  * `x11_get_image`: X11 GetImage of the root window with python-xlib.

OCR rounds do the same with `take_screenshot_with_ocr` against a grab plus
rapidocr run directly in this process.
"""

import base64
import io
import random
import statistics
import time

from mcp import ClientSession
from mcp.client.streamable_http import streamablehttp_client
from mcp.types import ImageContent, TextContent


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def summary_ms(samples: list[float]) -> dict:
    return {
        "p50_ms": round(percentile(samples, 0.50) * 1000, 1),
        "p95_ms": round(percentile(samples, 0.95) * 1000, 1),
        "mean_ms": round(statistics.fmean(samples) * 1000, 1),
        "n": len(samples),
    }


class RawGrabs:
    """The floors, run in this process on connections kept for the whole run."""

    def __init__(self, display: str, width: int, height: int):
        import mss
        import Xlib.display

        self.width, self.height = width, height
        self.grabber = mss.mss(display=display)
        self.xlib = Xlib.display.Display(display)

    def grab(self):
        return self.grabber.grab(self.grabber.monitors[0])

    def grab_plus_png(self) -> bytes:
        from PIL import Image

        shot = self.grab()
        buffer = io.BytesIO()
        Image.frombytes("RGB", shot.size, shot.bgra, "raw", "BGRX").save(buffer, format="PNG")
        return buffer.getvalue()

    def x11_get_image(self):
        import Xlib.X

        self.xlib.screen().root.get_image(0, 0, self.width, self.height, Xlib.X.ZPixmap, 0xFFFFFFFF)

    def grab_plus_ocr(self, engine):
        import numpy

        shot = self.grab()
        # BGRA -> BGR, the layout OpenCV (and upstream's cv2.imread) hands rapidocr.
        pixels = numpy.frombuffer(shot.bgra, dtype=numpy.uint8).reshape(shot.height, shot.width, 4)[:, :, :3]
        return engine(numpy.ascontiguousarray(pixels))

    def change_screen(self):
        """Paint a random 64x64 square over whatever is shown, so the next grab differs."""
        import Xlib.X

        root = self.xlib.screen().root
        gc = root.create_gc(foreground=random.getrandbits(24), subwindow_mode=Xlib.X.IncludeInferiors)
        root.fill_rectangle(gc, random.randrange(self.width - 64), random.randrange(self.height - 64), 64, 64)
        gc.free()
        self.xlib.sync()

    def shift_screen(self):
        """Copy the whole screen one pixel to the right over itself: every row changes, and stays desktop-like."""
        import Xlib.X

        root = self.xlib.screen().root
        gc = root.create_gc(subwindow_mode=Xlib.X.IncludeInferiors)
        root.copy_area(gc, root, 0, 0, self.width - 1, self.height, 1, 0)
        gc.free()
        self.xlib.sync()

    def close(self):
        self.grabber.close()
        self.xlib.close()


async def _call(session: ClientSession, tool: str):
    result = await session.call_tool(tool, {})
    if result.isError:
        raise RuntimeError(f"{tool} failed: {result.content}")
    return result


def _image_of(result) -> ImageContent:
    images = [c for c in result.content if isinstance(c, ImageContent)]
    if len(images) != 1:
        texts = [c.text[:200] for c in result.content if isinstance(c, TextContent)]
        raise RuntimeError(f"take_screenshot returned no single image: {texts}")
    return images[0]


async def screenshot_rounds(servers: dict[str, str], token: str, raw: RawGrabs, rounds: int,
                            new_session_variant: str | None = None) -> dict:
    """`servers` maps a variant name to an MCP URL; all variants run once per round."""
    headers = {"Authorization": f"Bearer {token}"}
    samples: dict[str, list[float]] = {}
    image_facts: dict[str, dict] = {}
    contexts = []
    sessions: dict[str, ClientSession] = {}
    try:
        for name, url in servers.items():
            transport = streamablehttp_client(url, headers=headers)
            read, write, _ = await transport.__aenter__()
            contexts.append(transport)
            session = ClientSession(read, write)
            await session.__aenter__()
            contexts.append(session)
            await session.initialize()
            sessions[name] = session
            image = _image_of(await _call(session, "take_screenshot"))  # warm-up, and what it returns
            data = base64.b64decode(image.data)
            image_facts[name] = {"mime_type": image.mimeType, "bytes": len(data), **payload_costs(data)}

        async def new_session_call():
            async with streamablehttp_client(servers[new_session_variant], headers=headers) as (read, write, _):
                async with ClientSession(read, write) as session:
                    await session.initialize()
                    await _call(session, "take_screenshot")

        variants = {f"mcp:{name}": (lambda s=session: _call(s, "take_screenshot")) for name, session in sessions.items()}
        # The sidecar may reuse the image of an unchanged frame: this variant always has a new one.
        first = next(iter(sessions))
        changed_variant = f"mcp:{first} (screen changed before each call)"
        variants[changed_variant] = variants[f"mcp:{first}"]
        whole_variant = f"mcp:{first} (whole screen changed before each call)"
        variants[whole_variant] = variants[f"mcp:{first}"]
        variants["mcp:ping"] = sessions[first].send_ping
        if new_session_variant:
            variants["mcp_new_session"] = new_session_call
        local = {"raw_grab": raw.grab, "raw_grab_plus_png": raw.grab_plus_png, "x11_get_image": raw.x11_get_image}
        order = [*variants, *local]
        samples = {name: [] for name in order}
        for _ in range(rounds):
            random.shuffle(order)
            for name in order:
                if name == changed_variant:
                    raw.change_screen()  # not timed
                elif name == whole_variant:
                    raw.shift_screen()  # not timed
                started = time.perf_counter()
                if name in variants:
                    await variants[name]()
                else:
                    local[name]()
                samples[name].append(time.perf_counter() - started)
    finally:
        for context in reversed(contexts):
            await context.__aexit__(None, None, None)
    return {"variants": {name: summary_ms(values) for name, values in samples.items()}, "images": image_facts}


def payload_costs(image: bytes, rounds: int = 40) -> dict:
    """What carrying this image costs besides the screen itself, each step alone, in this process:
    base64, the server's JSON-RPC serialisation, and the client's parse (the official SDK's types)."""
    from mcp import types

    encoded = base64.b64encode(image).decode()
    result = types.CallToolResult(content=[types.ImageContent(type="image", data=encoded, mimeType="image/png")])
    response = types.JSONRPCMessage(types.JSONRPCResponse(
        jsonrpc="2.0", id=1, result=result.model_dump(by_alias=True, mode="json", exclude_none=True)))
    body = response.model_dump_json(by_alias=True, exclude_none=True)
    steps = {"base64_ms": lambda: base64.b64encode(image),
             "server_json_ms": lambda: response.model_dump_json(by_alias=True, exclude_none=True),
             "client_parse_ms": lambda: types.JSONRPCMessage.model_validate_json(body)}
    costs = {}
    for name, step in steps.items():
        samples = []
        for _ in range(rounds):
            started = time.perf_counter()
            step()
            samples.append(time.perf_counter() - started)
        costs[name] = round(percentile(samples, 0.5) * 1000, 2)
    return costs | {"response_bytes": len(body)}


async def ocr_rounds(url: str, token: str, raw: RawGrabs, rounds: int) -> dict:
    from rapidocr import RapidOCR

    engine = RapidOCR()
    raw.grab_plus_ocr(engine)  # warm-up: the first run allocates onnxruntime's arenas
    headers = {"Authorization": f"Bearer {token}"}
    samples = {"mcp:take_screenshot_with_ocr": [], "raw_grab_plus_ocr": []}
    async with streamablehttp_client(url, headers=headers, timeout=120, sse_read_timeout=120) as (read, write, _):
        async with ClientSession(read, write) as session:
            await session.initialize()
            await _call(session, "take_screenshot_with_ocr")
            order = list(samples)
            for _ in range(rounds):
                random.shuffle(order)
                for name in order:
                    started = time.perf_counter()
                    if name == "raw_grab_plus_ocr":
                        raw.grab_plus_ocr(engine)
                    else:
                        await _call(session, "take_screenshot_with_ocr")
                    samples[name].append(time.perf_counter() - started)
    return {"variants": {name: summary_ms(values) for name, values in samples.items()}}


def ratios(variants: dict, numerators: list[str], denominators: list[str]) -> dict:
    out = {}
    for top in numerators:
        for bottom in denominators:
            if top != bottom and top in variants and bottom in variants:
                out[f"{top} / {bottom}"] = round(variants[top]["p50_ms"] / variants[bottom]["p50_ms"], 2)
    return out
