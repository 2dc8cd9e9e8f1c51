"""Our `take_screenshot` and `take_screenshot_with_ocr`, under upstream's names and input schemas.

The agent's tool names (tools.json) and argument schemas stay exactly upstream's:
`install_overrides` refuses to start when a replacement's schema differs from the
tool it replaces (e.g. after an upstream upgrade). What changes is the full-screen
path, where upstream's cost was waste (docs/benchmarks.md):

  * take_screenshot: only the rows the X server says were drawn are grabbed and
    encoded again (screen_capture.py), in memory; an unchanged screen returns the
    previous image content as is; no window enumeration (only needed to match a
    title).
  * take_screenshot_with_ocr: the grab goes to rapidocr as an array; upstream
    encoded two PNGs, wrote one to disk, decoded it again and "resized" it to
    100%. The text it returns is formatted exactly as upstream formats it.

With a `title_pattern`, both delegate to upstream (it must find, activate and
crop the window; rare, and not the agent's loop).
"""

import datetime
import time
import uuid
from pathlib import Path
from types import ModuleType
from typing import Callable, Optional

import cv2
from mcp.server.fastmcp import FastMCP, Image
from mcp.server.fastmcp.tools import Tool

from screen_capture import ImageEncoding, ScreenGrabber, ScreenImages, png_from_bgra


def install_overrides(mcp: FastMCP, core: ModuleType, grabber: ScreenGrabber, encoding: ImageEncoding,
                      observe_screenshot_seconds: Callable[[float], None]) -> None:
    upstream_screenshot = core.take_screenshot
    upstream_ocr = core.take_screenshot_with_ocr
    images = ScreenImages(encoding)

    def save_copy(data: bytes, extension: str) -> None:
        # Upstream's save_to_downloads: a copy in ~/Downloads (or its fallback).
        stamp = datetime.datetime.now().strftime("%Y%m%d_%H%M%S")
        target = Path(core.get_downloads_dir()) / f"screenshot_{stamp}_{uuid.uuid4().hex[:8]}.{extension}"
        target.write_bytes(data)

    def take_screenshot(
        title_pattern: Optional[str] = None,
        use_regex: bool = False,
        threshold: int = 10,
        scale_percent_for_ocr: Optional[int] = None,
        save_to_downloads: bool = False,
        use_wgc: bool = False,
    ) -> Image:
        if title_pattern is not None:
            return upstream_screenshot(title_pattern, use_regex, threshold, scale_percent_for_ocr,
                                       save_to_downloads, use_wgc)
        started = time.perf_counter()
        content = images.of(*grabber.update())
        observe_screenshot_seconds(time.perf_counter() - started)
        if save_to_downloads:
            save_copy(images.data, "jpg" if encoding.format == "jpeg" else encoding.format)
        # Annotated `Image` like upstream (same schema), but an ImageContent: FastMCP passes content
        # blocks through, so an unchanged screen's base64 is not made again.
        return content

    def take_screenshot_with_ocr(
        title_pattern: Optional[str] = None,
        use_regex: bool = False,
        threshold: int = 10,
        scale_percent_for_ocr: Optional[int] = None,
        save_to_downloads: bool = False,
    ) -> str:
        if title_pattern is not None:
            return upstream_ocr(title_pattern, use_regex, threshold, scale_percent_for_ocr, save_to_downloads)
        if scale_percent_for_ocr is not None and scale_percent_for_ocr <= 0:
            # Upstream's wording, returned as a tool error instead of a success text.
            raise ValueError(f"scale_percent_for_ocr must be greater than 0, got {scale_percent_for_ocr}")
        started = time.perf_counter()
        frame = grabber.grab_bgra()
        observe_screenshot_seconds(time.perf_counter() - started)
        if save_to_downloads:
            save_copy(png_from_bgra(frame), "png")
        pixels = cv2.cvtColor(frame, cv2.COLOR_BGRA2BGR)  # what upstream's cv2.imread gave rapidocr
        if scale_percent_for_ocr not in (None, 100):
            height, width = pixels.shape[:2]
            size = (max(1, int(width * scale_percent_for_ocr / 100)), max(1, int(height * scale_percent_for_ocr / 100)))
            pixels = cv2.resize(pixels, size, interpolation=cv2.INTER_AREA)
        output = core.engine(pixels)
        if output.boxes is None:  # rapidocr found no text region at all
            return "No text found"
        results = [(box.tolist(), text, float(score)) for box, text, score in zip(output.boxes, output.txts,
                                                                                  output.scores)]
        return ",\n".join(str(item) for item in results) if results else "No text found"

    replace_tool(mcp, take_screenshot)
    replace_tool(mcp, take_screenshot_with_ocr)


def replace_tool(mcp: FastMCP, fn) -> Tool:
    manager = mcp._tool_manager
    original = manager.get_tool(fn.__name__)
    if original is None:
        raise RuntimeError(f"upstream no longer has a tool named {fn.__name__}: tools.json and the override disagree")
    replacement = Tool.from_function(fn, name=original.name, title=original.title,
                                     description=original.description, annotations=original.annotations)
    for aspect in ("parameters", "output_schema", "is_async", "context_kwarg"):
        if getattr(replacement, aspect) != getattr(original, aspect):
            raise RuntimeError(f"override of {original.name} changes its {aspect}: "
                               f"{getattr(original, aspect)!r} -> {getattr(replacement, aspect)!r}")
    manager._tools[original.name] = replacement
    return replacement
