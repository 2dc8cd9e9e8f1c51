"""Full-screen captures for the screenshot tools: one grab, at most one encode.

Upstream `take_screenshot` lists every window, opens a new X connection (a new
`mss` instance) per call, encodes the PNG twice (once to a temp file, once more
into bytes it throws away) and hands FastMCP a path to read back. The override
tools (tool_overrides.py) grab through one `mss` instance kept by the GUI worker
thread and encode in memory, once per distinct frame: when the screen has not
changed since the last screenshot (an agent polling for something to appear),
the previous image is returned as is.

SCREENSHOT_FORMAT picks what the model receives: `png` (default, lossless: the
exact pixels of the X screen) or, as an explicit per-agent choice, `jpeg`
(lossy, quality SCREENSHOT_QUALITY). Encoders were chosen by measurement
(bench/desktop/encoders.py, docs/benchmarks.md): for PNG, rows without filters
(desktop pixels repeat exactly; filters turn that into noise) deflated by ISA-L
at level 1, several times faster than zlib for a similar size. WebP was slower
than PNG here and is not offered.
"""

import os
import struct
import threading
import zlib
from dataclasses import dataclass

import cv2
import mss
import numpy
from isal import isal_zlib

FORMATS = ("png", "jpeg")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
PNG_DEFLATE_LEVEL = 1  # ISA-L levels are 0-3; 1 is its fast one with useful matching


class ScreenshotConfigError(ValueError):
    pass


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_from_bgra(bgra: numpy.ndarray) -> bytes:
    """An 8-bit RGB PNG of the frame (PNG spec: IHDR, one IDAT, IEND).

    Written here because no maintained encoder lets us pick the deflate
    implementation and the row filter together; the chunk format is 10 lines.
    """
    height, width = bgra.shape[:2]
    rows = numpy.empty((height, 1 + width * 3), dtype=numpy.uint8)
    rows[:, 0] = 0  # filter type None
    rows[:, 1:] = cv2.cvtColor(bgra, cv2.COLOR_BGRA2RGB).reshape(height, width * 3)
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # depth 8, colour type RGB
    return (PNG_SIGNATURE + _png_chunk(b"IHDR", header)
            + _png_chunk(b"IDAT", isal_zlib.compress(rows, PNG_DEFLATE_LEVEL)) + _png_chunk(b"IEND", b""))


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


class FrameEncoder:
    """Encodes each distinct frame once: an unchanged screen gets the previous image back."""

    def __init__(self, encoding: ImageEncoding):
        self.encoding = encoding
        self.last_frame: bytes | None = None
        self.last_image = b""

    def encode(self, bgra: numpy.ndarray) -> bytes:
        frame = bgra.tobytes()  # byte-exact comparison: a changed pixel always re-encodes
        if frame != self.last_frame:
            self.last_image = self.encoding.encode(bgra)
            self.last_frame = frame
        return self.last_image


class ScreenGrabber:
    """One `mss` instance (one X connection) per thread that grabs.

    All GUI tools run on one worker thread (tool_isolation.py), so in practice this
    is one connection for the life of the process. A failed grab drops the
    instance so the next call reconnects.
    """

    def __init__(self, display: str):
        self.display = display
        self.local = threading.local()

    def grab_bgra(self, region: dict | None = None) -> numpy.ndarray:
        """The screen (or a region) as a height x width x 4 array; the 4th byte is X's padding, not alpha."""
        grabber = getattr(self.local, "grabber", None)
        if grabber is None:
            grabber = self.local.grabber = mss.mss(display=self.display)
        try:
            shot = grabber.grab(region or grabber.monitors[0])
        except Exception:
            self.local.grabber = None
            grabber.close()
            raise
        return numpy.frombuffer(shot.raw, dtype=numpy.uint8).reshape(shot.height, shot.width, 4)
