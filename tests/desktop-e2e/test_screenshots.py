"""Our take_screenshot and take_screenshot_with_ocr: upstream's names and schemas, the screen's exact pixels."""

import base64
import io
import os
import subprocess

from PIL import Image, ImageChops

from mcp.types import ImageContent
from mcp_calls import McpClient
from pod import LAUNCHER, VENV_PYTHON, AgentProcess, http_status, pick_port, wait_until
from screen import decode


def raw_grab(pod) -> Image.Image:
    """The screen as the X server has it, over our own connection (the bench's floor)."""
    import mss

    os.environ["XAUTHORITY"] = str(pod.config.xauthority)
    with mss.mss(display=pod.config.display) as grabber:
        shot = grabber.grab(grabber.monitors[0])
    return Image.frombytes("RGB", shot.size, shot.bgra, "raw", "BGRX")


def test_take_screenshot_returns_exactly_the_pixels_of_the_screen(pod, client):
    # The panel clock may tick between grabs: retry until the screen held still.
    for _ in range(5):
        before = raw_grab(pod)
        shot = decode(client.screenshot_png())
        after = raw_grab(pod)
        if before.tobytes() == after.tobytes():
            assert shot.size == pod.config.size
            assert shot.tobytes() == before.tobytes(), "the PNG differs from the screen (lossy or misconverted)"
            return
    raise AssertionError("the screen never held still for three grabs")


def paint_square(pod, colour: int) -> None:
    """Draw over whatever is shown (IncludeInferiors), as any window update would change the screen."""
    import Xlib.X
    import Xlib.display

    os.environ["XAUTHORITY"] = str(pod.config.xauthority)
    display = Xlib.display.Display(pod.config.display)
    try:
        root = display.screen().root
        gc = root.create_gc(foreground=colour, subwindow_mode=Xlib.X.IncludeInferiors)
        root.fill_rectangle(gc, 300, 300, 80, 80)
        display.sync()
    finally:
        display.close()


def test_a_changed_screen_is_never_answered_with_the_previous_image(pod, client):
    # The sidecar reuses the image of an unchanged frame; one changed pixel must re-encode.
    for colour in (0xFF0000, 0x00FF00, 0x0000FF):
        paint_square(pod, colour)
        shot = decode(client.screenshot_png())
        assert shot.getpixel((340, 340)) == ((colour >> 16) & 255, (colour >> 8) & 255, colour & 255)


UPSTREAM_SCHEMAS = """
import json, os
from computer_control_mcp import core
tools = {t.name: t.parameters for t in core.mcp._tool_manager.list_tools()}
print(json.dumps({name: tools[name] for name in ("take_screenshot", "take_screenshot_with_ocr")}))
"""


def test_the_overridden_tools_keep_upstreams_input_schemas(pod, client):
    import json

    env = pod.sidecar_env() | {"XAUTHORITY": str(pod.config.xauthority)}
    upstream = subprocess.run([str(VENV_PYTHON), "-c", UPSTREAM_SCHEMAS], env=env, capture_output=True, text=True,
                              timeout=120, check=True)
    expected = json.loads(upstream.stdout.strip().splitlines()[-1])
    listed = {tool.name: tool.inputSchema for tool in client.list_tools()}
    for name, schema in expected.items():
        assert listed[name] == schema, f"{name}'s input schema differs from upstream's"


def test_a_lossy_format_is_an_explicit_option(pod):
    port = pick_port()
    sidecar = AgentProcess("sidecar-jpeg", [str(VENV_PYTHON), str(LAUNCHER)],
                           pod.sidecar_env() | {"PORT": str(port), "METRICS_PORT": str(pick_port()),
                                                "SCREENSHOT_FORMAT": "jpeg",
                                                "SCREENSHOT_SCRATCH_DIR": str(pod.config.workdir / "scratch-jpeg")},
                           pod.config.workdir / "sidecar-jpeg.log")
    sidecar.start()
    try:
        try:
            wait_until(lambda: http_status(f"http://127.0.0.1:{port}/healthz") == 200, 120, 0.2, "jpeg sidecar healthy")
        except TimeoutError:
            raise AssertionError(f"the jpeg sidecar never became healthy:\n{sidecar.log_tail()}") from None
        result = McpClient(f"http://127.0.0.1:{port}/mcp", pod.config.mcp_token).call("take_screenshot")
        images = [c for c in result.content if isinstance(c, ImageContent)]
        assert [i.mimeType for i in images] == ["image/jpeg"]
        data = base64.b64decode(images[0].data)
        assert data[:3] == b"\xff\xd8\xff"
        shot = Image.open(io.BytesIO(data)).convert("RGB")
        assert shot.size == pod.config.size
        # Lossy but the same screen: the average pixel is within a few levels.
        difference = ImageChops.difference(shot, raw_grab(pod)).convert("L").histogram()
        mean = sum(level * count for level, count in enumerate(difference)) / sum(difference)
        assert mean < 4, f"the JPEG is {mean:.1f} levels off on average"
    finally:
        sidecar.stop()
