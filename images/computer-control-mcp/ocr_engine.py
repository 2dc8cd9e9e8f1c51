"""Load the OCR models in the background instead of on the way to the first screenshot.

computer_control_mcp.core builds `engine = RapidOCR()` at import, which loads three
ONNX models: about a third of the sidecar's start-up (docs/benchmarks.md), although
only `take_screenshot_with_ocr` needs them. While the package is imported,
`rapidocr.RapidOCR` is swapped for `BackgroundOcrEngine`, which starts the same
construction on a thread and waits for it on the first OCR call only.
"""

import contextlib
import threading
from concurrent.futures import Future


class BackgroundOcrEngine:
    def __init__(self, engine_class, *args, **kwargs):
        self._engine: Future = Future()

        def build():
            try:
                self._engine.set_result(engine_class(*args, **kwargs))
            except BaseException as error:  # reported to the first OCR call
                self._engine.set_exception(error)

        threading.Thread(target=build, name="ocr-models", daemon=True).start()

    def __call__(self, *args, **kwargs):
        return self._engine.result()(*args, **kwargs)

    def __getattr__(self, name):
        return getattr(self._engine.result(), name)


@contextlib.contextmanager
def ocr_models_load_in_background():
    import rapidocr

    real = rapidocr.RapidOCR
    rapidocr.RapidOCR = lambda *args, **kwargs: BackgroundOcrEngine(real, *args, **kwargs)
    try:
        yield
    finally:
        rapidocr.RapidOCR = real
