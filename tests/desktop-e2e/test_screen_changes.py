"""The sidecar's incremental screenshots (screen_capture.py, png_bands.py, x_damage.py) against the real
X server of the pod: every change shows, exactly, and an unchanged screen is not grabbed again."""

import io
import os
import random
import sys
import zlib

import numpy
import pytest
from PIL import Image

from pod import REPO

sys.path.insert(0, str(REPO / "images/computer-control-mcp"))

from png_bands import BAND_ROWS, BandedPng, png_from_bgra  # noqa: E402
from screen_capture import ImageEncoding, ScreenGrabber, ScreenImages, _ThreadScreen  # noqa: E402


def rgb_of(bgra: numpy.ndarray) -> numpy.ndarray:
    return numpy.ascontiguousarray(bgra[:, :, 2::-1])


def decoded(png: bytes) -> numpy.ndarray:
    image = Image.open(io.BytesIO(png))
    assert image.mode == "RGB"
    return numpy.asarray(image)


def test_a_banded_png_is_exactly_the_frame_after_any_bands_change():
    rng = numpy.random.default_rng(7)
    height = BAND_ROWS * 5 + 7  # a short last band
    frame = rng.integers(0, 8, size=(height, 45, 4), dtype=numpy.uint8)  # few colours: deflate finds matches
    png = BandedPng(45, height)
    data = png.update(frame, None)
    assert numpy.array_equal(decoded(data), rgb_of(frame))
    for changed in ({0}, {5}, {1, 2}, {0, 3, 5}, set()):
        for band in changed:
            top = band * BAND_ROWS
            frame[top:top + BAND_ROWS] = rng.integers(0, 255, size=frame[top:top + BAND_ROWS].shape, dtype=numpy.uint8)
        data = png.update(frame, changed)
        assert numpy.array_equal(decoded(data), rgb_of(frame)), f"after changing bands {changed}"
        idat = data[data.index(b"IDAT") + 4:data.index(b"IEND") - 8]
        assert zlib.decompress(idat)[:1] == b"\0"  # a valid zlib stream, rows without filter
    assert data == png_from_bgra(frame), "an incremental PNG differs from one encoded from scratch"


def test_a_banded_png_refuses_a_frame_of_another_size():
    with pytest.raises(ValueError):
        BandedPng(10, 10).update(numpy.zeros((11, 10, 4), dtype=numpy.uint8), None)


class CountingScreen(_ThreadScreen):
    rows_grabbed = 0

    def grab_rows(self, top, bottom):
        CountingScreen.rows_grabbed += bottom - top
        return super().grab_rows(top, bottom)


def paint(display, x: int, y: int, width: int, height: int, colour: int) -> None:
    import Xlib.X

    root = display.screen().root
    gc = root.create_gc(foreground=colour, subwindow_mode=Xlib.X.IncludeInferiors)
    root.fill_rectangle(gc, x, y, width, height)
    gc.free()
    display.sync()


def raw_grab(display_name: str) -> numpy.ndarray:
    import mss

    with mss.mss(display=display_name) as grabber:
        shot = grabber.grab(grabber.monitors[0])
    return numpy.frombuffer(shot.raw, dtype=numpy.uint8).reshape(shot.height, shot.width, 4)


@pytest.mark.parametrize("track_damage", [True, False], ids=["damage", "full-grab-compare"])
def test_every_change_shows_exactly_and_an_unchanged_screen_is_not_grabbed(pod, monkeypatch, track_damage):
    import Xlib.display

    monkeypatch.setenv("XAUTHORITY", str(pod.config.xauthority))
    monkeypatch.setattr("screen_capture._ThreadScreen", CountingScreen)
    display = Xlib.display.Display(pod.config.display)
    grabber, images = ScreenGrabber(pod.config.display, track_damage), ScreenImages(ImageEncoding("png", 85))
    width, height = pod.config.size
    rng = random.Random(11)
    # Small and large changes, on band edges, in the last (short) band, single pixels, the whole screen.
    changes = [(0, 0, 1, 1), (width - 1, height - 1, 1, 1), (10, BAND_ROWS - 1, 5, 2), (300, 300, 64, 64),
               (0, height - 3, width, 3), (0, 0, width, height)]
    changes += [(rng.randrange(width - 90), rng.randrange(height - 90), rng.randrange(1, 90), rng.randrange(1, 90))
                for _ in range(12)]
    try:
        images.of(*grabber.update())
        checked = 0
        for x, y, w, h in changes:
            paint(display, x, y, w, h, rng.getrandbits(24))
            # The panel clock or a blinking cursor may change the screen too: compare only when it held still.
            before = raw_grab(pod.config.display)
            shot = decoded(base64_png(images.of(*grabber.update())))
            if numpy.array_equal(before, raw_grab(pod.config.display)):
                assert numpy.array_equal(shot, rgb_of(before)), f"the screenshot misses the change at {w}x{h}+{x}+{y}"
                checked += 1
        assert checked >= len(changes) - 3
        if track_damage:
            # Nothing drawn since: nothing is grabbed (the image is the previous one).
            paint(display, 5, 5, 3, 3, 0x123456)
            images.of(*grabber.update())
            CountingScreen.rows_grabbed = 0
            content = images.of(*grabber.update())
            assert CountingScreen.rows_grabbed == 0 and content is images.content
            paint(display, 200, 200, 10, 10, 0x654321)
            images.of(*grabber.update())
            assert 0 < CountingScreen.rows_grabbed <= 2 * BAND_ROWS, "a 10x10 change grabbed more than its bands"
    finally:
        display.close()


def base64_png(content) -> bytes:
    import base64

    assert content.mimeType == "image/png"
    return base64.b64decode(content.data)


def test_the_screenshot_tool_is_answered_from_the_grabbed_bands(pod, client):
    """Through MCP: the sidecar's metric counts screenshots; the image equals the screen after changes."""
    os.environ["XAUTHORITY"] = str(pod.config.xauthority)
    import Xlib.display

    display = Xlib.display.Display(pod.config.display)
    try:
        for x, y in ((0, 0), (500, 400), (pod.config.size[0] - 40, pod.config.size[1] - 40)):
            for _ in range(5):
                paint(display, x, y, 40, 40, random.getrandbits(24))
                before = raw_grab(pod.config.display)
                shot = decoded(client.screenshot_png())
                if numpy.array_equal(before, raw_grab(pod.config.display)):
                    assert numpy.array_equal(shot, rgb_of(before))
                    break
            else:
                raise AssertionError("the screen never held still")
    finally:
        display.close()
