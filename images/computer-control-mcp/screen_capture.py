"""Full-screen captures for the screenshot tools: only what changed is grabbed and encoded.

Upstream `take_screenshot` lists every window, opens a new X connection (a new
`mss` instance) per call, encodes the PNG twice (once to a temp file, once more
into bytes it throws away) and hands FastMCP a path to read back. Here the GUI
worker thread keeps the last frame and its encoded image: the X server says which
rectangles were drawn since (x_damage.py), only the rows holding them are grabbed
(one `mss` connection kept by the thread) and only their bands of the PNG are
deflated again (png_bands.py); an unchanged screen gets the previous image back,
base64 and all, without grabbing anything. Where the X server lacks DAMAGE, the
whole screen is grabbed and compared band by band instead.

SCREENSHOT_FORMAT picks what the model receives: `png` (default, lossless: the
exact pixels of the X screen) or, as an explicit per-agent choice, `jpeg`
(lossy, quality SCREENSHOT_QUALITY, encoded whole when anything changed). Encoders
were chosen by measurement (bench/desktop/encoders.py, docs/benchmarks.md); WebP
was slower than PNG here and is not offered.
"""

import base64
import itertools
import logging
import os
import threading
from dataclasses import dataclass

import cv2
import mss
import numpy
from mcp.types import ImageContent

from png_bands import BAND_ROWS, BandedPng, bands_of_rows, png_from_bgra
from x_damage import DamageUnavailable, ScreenDamage

FORMATS = ("png", "jpeg")
log = logging.getLogger("screen")


class ScreenshotConfigError(ValueError):
    pass


@dataclass(frozen=True)
class ImageEncoding:
    format: str
    quality: int

    @classmethod
    def from_environment(cls, environ=os.environ) -> "ImageEncoding":
        image_format = environ.get("SCREENSHOT_FORMAT", "png").strip().lower()
        if image_format == "jpg":
            image_format = "jpeg"
        if image_format not in FORMATS:
            raise ScreenshotConfigError(
                f"SCREENSHOT_FORMAT={environ.get('SCREENSHOT_FORMAT')!r} is not supported: use one of "
                f"{', '.join(FORMATS)} (png is lossless, jpeg is lossy)")
        raw_quality = environ.get("SCREENSHOT_QUALITY", "85").strip()
        if not raw_quality.isdigit() or not 1 <= int(raw_quality) <= 100:
            raise ScreenshotConfigError(
                f"SCREENSHOT_QUALITY={raw_quality!r} must be a whole number from 1 to 100 (used by jpeg)")
        return cls(image_format, int(raw_quality))

    def encode(self, bgra: numpy.ndarray) -> bytes:
        if self.format == "png":
            return png_from_bgra(bgra)
        ok, data = cv2.imencode(".jpg", cv2.cvtColor(bgra, cv2.COLOR_BGRA2BGR),
                                [cv2.IMWRITE_JPEG_QUALITY, self.quality])
        if not ok:
            raise RuntimeError("OpenCV could not encode the screenshot as JPEG")
        return data.tobytes()


# Frames' bands are stamped from one counter for the whole process, so a band grabbed by a new
# connection (after an error) never looks like one an image was already encoded from.
_stamps = itertools.count(1)


class ScreenImages:
    """The image content the tool returns, made again only from the bands grabbed since the last one."""

    def __init__(self, encoding: ImageEncoding):
        self.encoding = encoding
        self.png: BandedPng | None = None
        self.encoded_stamps: numpy.ndarray | None = None
        self.data = b""
        self.content: ImageContent | None = None

    def of(self, bgra: numpy.ndarray, stamps: numpy.ndarray) -> ImageContent:
        """`stamps[band]` changes whenever that band of `bgra` was grabbed again (ScreenGrabber.update)."""
        changed = None
        if self.encoded_stamps is not None and self.encoded_stamps.shape == stamps.shape:
            changed = set(numpy.flatnonzero(stamps != self.encoded_stamps).tolist())
            if len(changed) == len(stamps):
                changed = None  # all of it: encoded as one frame
        if changed is not None and not changed and self.content is not None:
            return self.content
        if self.encoding.format == "png":
            height, width = bgra.shape[:2]
            if self.png is None or (self.png.width, self.png.height) != (width, height):
                self.png, changed = BandedPng(width, height), None
            self.data = self.png.update(bgra, changed)
        else:
            self.data = self.encoding.encode(bgra)
        self.content = ImageContent(type="image", data=base64.b64encode(self.data).decode(),
                                    mimeType=f"image/{self.encoding.format}")
        self.encoded_stamps = stamps.copy()
        return self.content


class _ThreadScreen:
    """One thread's X connections (a `mss` instance, a Damage tracker) and its last frame."""

    def __init__(self, display: str, track_damage: bool):
        self.grabber = mss.mss(display=display)
        self.damage: ScreenDamage | None = None
        if track_damage:
            try:
                # Created before the first grab: what is drawn during it is re-grabbed next time.
                self.damage = ScreenDamage(display)
            except DamageUnavailable as error:
                log.warning("screenshots grab the whole screen each time: %s", error)
        self.frame: numpy.ndarray | None = None
        self.stamps: numpy.ndarray | None = None

    def close(self) -> None:
        self.grabber.close()
        if self.damage is not None:
            self.damage.close()

    def grab_rows(self, top: int, bottom: int) -> numpy.ndarray:
        screen = self.grabber.monitors[0]
        shot = self.grabber.grab({"left": screen["left"], "top": screen["top"] + top, "width": screen["width"],
                                  "height": bottom - top})
        return numpy.frombuffer(shot.raw, dtype=numpy.uint8).reshape(shot.height, shot.width, 4)

    def stamp(self, bands) -> None:
        stamp = next(_stamps)
        for band in bands:
            self.stamps[band] = stamp

    def update(self) -> tuple[numpy.ndarray, numpy.ndarray]:
        screen = self.grabber.monitors[0]
        width, height = screen["width"], screen["height"]
        band_count = -(-height // BAND_ROWS)
        if self.frame is None:
            self.frame = self.grab_rows(0, height)
            self.stamps = numpy.zeros(band_count, dtype=numpy.int64)
            self.stamp(range(band_count))
            return self.frame, self.stamps
        if self.damage is None:
            new = self.grab_rows(0, height)
            self.stamp(band for band in range(band_count)
                       if not numpy.array_equal(new[band * BAND_ROWS:(band + 1) * BAND_ROWS],
                                                self.frame[band * BAND_ROWS:(band + 1) * BAND_ROWS]))
            self.frame = new
            return self.frame, self.stamps
        changed = set()
        for x, y, w, h in self.damage.take():
            if x < 0 or y < 0 or x + w > width or y + h > height:
                raise ScreenSizeChanged(f"drawn at {w}x{h}+{x}+{y}, outside the {width}x{height} screen")
            changed.update(bands_of_rows(y, y + h))
        for first, last in _runs(sorted(changed)):
            top, bottom = first * BAND_ROWS, min(height, (last + 1) * BAND_ROWS)
            if (top, bottom) == (0, height):
                self.frame = self.grab_rows(0, height)  # all of it: the grab is the new frame, no copy
            else:
                self.frame[top:bottom] = self.grab_rows(top, bottom)
        self.stamp(changed)
        return self.frame, self.stamps


class ScreenSizeChanged(RuntimeError):
    pass


def _runs(bands: list[int]) -> list[tuple[int, int]]:
    """[1, 2, 3, 7] -> [(1, 3), (7, 7)]: one grab per run of adjacent bands."""
    runs: list[tuple[int, int]] = []
    for band in bands:
        if runs and runs[-1][1] == band - 1:
            runs[-1] = (runs[-1][0], band)
        else:
            runs.append((band, band))
    return runs


class ScreenGrabber:
    """The screen as seen by the thread that calls it, kept up to date by grabbing what changed.

    All GUI tools run on one worker thread (tool_isolation.py), so in practice this
    is one `mss` connection and one Damage tracker for the life of the process. A
    failure drops them, and the next call starts over with a full grab.
    """

    def __init__(self, display: str, track_damage: bool = True):
        self.display = display
        self.track_damage = track_damage
        self.local = threading.local()

    def update(self) -> tuple[numpy.ndarray, numpy.ndarray]:
        """The current frame (height x width x 4, BGRX: the 4th byte is X's padding, not alpha) and each
        band's stamp, which changes whenever the band was grabbed again. Both are updated in place by
        the next call on this thread: use them before."""
        screen = getattr(self.local, "screen", None)
        if screen is None:
            screen = self.local.screen = _ThreadScreen(self.display, self.track_damage)
        try:
            return screen.update()
        except Exception as error:
            self.local.screen = None
            screen.close()
            if isinstance(error, ScreenSizeChanged):
                log.info("screen size changed (%s): grabbing it whole again", error)
                return self.update()
            raise

    def grab_bgra(self) -> numpy.ndarray:
        return self.update()[0]
