"""Which encoder turns a screen grab into the image the model receives fastest.

Grabs the real Xfce desktop of a pod started like the e2e test, then encodes
that same frame with each candidate, interleaved in random order per round.
Lossless candidates are checked to give back exactly the grabbed pixels. The
chosen default (images/computer-control-mcp/screen_capture.py) and the lossy
per-agent options come from this table (docs/benchmarks.md).

Run: bench/desktop/run.sh encoders   (prints JSON)
"""

import base64
import io
import json
import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests/desktop-e2e"))
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "images/computer-control-mcp"))

import cv2  # noqa: E402
import mss  # noqa: E402
import mss.tools  # noqa: E402
import numpy  # noqa: E402
from PIL import Image  # noqa: E402

from conftest import wait_for_xfce  # noqa: E402
from mcp_calls import McpClient  # noqa: E402
from pod import Config, Pod  # noqa: E402
from screen_capture import png_from_bgra  # noqa: E402
from screenshot_rounds import summary_ms  # noqa: E402

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "30"))


def pillow(image_format: str, **options):
    def encode(shot):
        buffer = io.BytesIO()
        Image.frombytes("RGB", shot.size, shot.bgra, "raw", "BGRX").save(buffer, format=image_format, **options)
        return buffer.getvalue()

    return encode


def opencv(extension: str, *params: int):
    def encode(shot):
        pixels = numpy.frombuffer(shot.bgra, dtype=numpy.uint8).reshape(shot.height, shot.width, 4)
        ok, data = cv2.imencode(extension, cv2.cvtColor(pixels, cv2.COLOR_BGRA2BGR), list(params))
        assert ok
        return data.tobytes()

    return encode


def mss_png(level: int):
    def encode(shot):
        return mss.tools.to_png(shot.rgb, shot.size, level=level)

    return encode


def sidecar_png(shot):
    return png_from_bgra(numpy.frombuffer(shot.raw, dtype=numpy.uint8).reshape(shot.height, shot.width, 4))


CANDIDATES = {
    "png sidecar: no filter, isa-l level 1": (sidecar_png, True),
    "png pillow level 6 (default)": (pillow("PNG"), True),
    "png pillow level 1": (pillow("PNG", compress_level=1), True),
    "png pillow level 3": (pillow("PNG", compress_level=3), True),
    "png opencv level 1": (opencv(".png", cv2.IMWRITE_PNG_COMPRESSION, 1), True),
    "png opencv level 1 rle": (opencv(".png", cv2.IMWRITE_PNG_COMPRESSION, 1, cv2.IMWRITE_PNG_STRATEGY,
                                      cv2.IMWRITE_PNG_STRATEGY_RLE), True),
    "png opencv level 1 no filter": (opencv(".png", cv2.IMWRITE_PNG_COMPRESSION, 1, cv2.IMWRITE_PNG_FILTER,
                                            cv2.IMWRITE_PNG_FILTER_NONE), True),
    "png opencv level 1 no filter rle": (opencv(".png", cv2.IMWRITE_PNG_COMPRESSION, 1, cv2.IMWRITE_PNG_FILTER,
                                                cv2.IMWRITE_PNG_FILTER_NONE, cv2.IMWRITE_PNG_STRATEGY,
                                                cv2.IMWRITE_PNG_STRATEGY_RLE), True),
    "png mss level 1 (no filter)": (mss_png(1), True),
    "png mss level 3 (no filter)": (mss_png(3), True),
    "webp lossless pillow method 0": (pillow("WEBP", lossless=True, method=0, quality=0), True),
    "webp lossy q80 pillow": (pillow("WEBP", quality=80, method=0), False),
    "webp lossy q80 opencv": (opencv(".webp", cv2.IMWRITE_WEBP_QUALITY, 80), False),
    "jpeg q85 pillow": (pillow("JPEG", quality=85), False),
    "jpeg q85 opencv": (opencv(".jpg", cv2.IMWRITE_JPEG_QUALITY, 85), False),
}


def decoded_equals(data: bytes, shot) -> bool:
    decoded = Image.open(io.BytesIO(data)).convert("RGB")
    return decoded.tobytes() == Image.frombytes("RGB", shot.size, shot.bgra, "raw", "BGRX").tobytes()


def main() -> None:
    pod = Pod(Config())
    try:
        pod.start_desktop()
        pod.start_sidecar()
        wait_for_xfce(McpClient(pod.config.mcp_url, pod.config.mcp_token))
        os.environ["XAUTHORITY"] = str(pod.config.xauthority)
        with mss.mss(display=pod.config.display) as grabber:
            shot = grabber.grab(grabber.monitors[0])
    finally:
        pod.cleanup()
    samples = {name: [] for name in CANDIDATES}
    b64_samples = {name: [] for name in CANDIDATES}
    sizes = {}
    order = list(CANDIDATES)
    for _ in range(ROUNDS):
        random.shuffle(order)
        for name in order:
            encode, _ = CANDIDATES[name]
            started = time.perf_counter()
            data = encode(shot)
            encoded = time.perf_counter()
            base64.b64encode(data)
            b64_samples[name].append(time.perf_counter() - encoded)
            samples[name].append(encoded - started)
            sizes[name] = len(data)
    results = {}
    for name, (encode, lossless) in CANDIDATES.items():
        results[name] = summary_ms(samples[name]) | {
            "bytes": sizes[name],
            "base64_p50_ms": summary_ms(b64_samples[name])["p50_ms"],
            "lossless": lossless,
            "same_pixels": decoded_equals(encode(shot), shot),
        }
    print(json.dumps({"size": list(shot.size), "rounds": ROUNDS, "encoders": results}, indent=2))


if __name__ == "__main__":
    main()
