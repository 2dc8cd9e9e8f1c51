"""Import rapidocr and load its models in the background, off the way to the first screenshot.

computer_control_mcp.core does `from rapidocr import RapidOCR` and builds
`engine = RapidOCR()` at import: rapidocr pulls in onnxruntime and the engine
loads three ONNX models, together about a third of the sidecar's start-up
(docs/benchmarks.md), although only `take_screenshot_with_ocr` needs them.
While core is imported, a stand-in `rapidocr` module hands out
`BackgroundOcrEngine`s; once the import is done the real module is imported and
the engine built on a thread. The first OCR call waits for it if it must.
"""

import contextlib
import importlib
import sys
import threading
import types
from concurrent.futures import Future


class BackgroundOcrEngine:
    def __init__(self, args: tuple, kwargs: dict):
        self._args, self._kwargs = args, kwargs
        self._engine: Future = Future()

    def start(self) -> None:
        def build():
            try:
                engine_class = importlib.import_module("rapidocr").RapidOCR
                self._engine.set_result(engine_class(*self._args, **self._kwargs))
            except BaseException as error:  # reported to the first OCR call
                self._engine.set_exception(error)

        threading.Thread(target=build, name="ocr-models", daemon=True).start()

    def __call__(self, *args, **kwargs):
        return self._engine.result()(*args, **kwargs)

    def __getattr__(self, name):
        return getattr(self._engine.result(), name)


@contextlib.contextmanager
def ocr_models_load_in_background():
    if "rapidocr" in sys.modules:
        raise RuntimeError("rapidocr is already imported: the OCR models would load on the way to the first screenshot")
    engines: list[BackgroundOcrEngine] = []

    def stand_in(*args, **kwargs):
        engines.append(BackgroundOcrEngine(args, kwargs))
        return engines[-1]

    sys.modules["rapidocr"] = types.SimpleNamespace(RapidOCR=stand_in)
    try:
        yield
    finally:
        del sys.modules["rapidocr"]
        for engine in engines:
            engine.start()
