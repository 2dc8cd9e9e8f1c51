"""Client of browser_driver.mjs: headless Debian chromium driven by playwright-core."""

import base64
import json
import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
NODE = REPO / "node_modules/.bin/node"
DRIVER = Path(__file__).with_name("browser_driver.mjs")


class BrowserError(RuntimeError):
    pass


class Browser:
    def __init__(self, log_path: Path):
        self.log = open(log_path, "ab")
        self.process = subprocess.Popen([str(NODE), str(DRIVER)], cwd=REPO, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=self.log, text=True)

    def call(self, command: str, **arguments):
        started = time.monotonic()
        try:
            return self._call(command, **arguments)
        finally:
            if os.environ.get("BROWSER_DRIVER_TRACE"):
                print(f"browser {command}: {time.monotonic() - started:.2f}s", file=sys.stderr)

    def _call(self, command: str, **arguments):
        self.process.stdin.write(json.dumps({"command": command, **arguments}) + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        if not line:
            raise BrowserError(f"browser driver exited (code {self.process.poll()}); see {self.log.name}")
        answer = json.loads(line)
        if not answer["ok"]:
            # The log is deleted with the pod's workdir: its tail (the page's errors) goes in the failure.
            self.log.flush()
            tail = Path(self.log.name).read_bytes()[-4000:].decode(errors="replace")
            raise BrowserError(f"{command}: {answer['error']}\ndriver log's tail:\n{tail}")
        return answer["result"]

    def screenshot(self) -> tuple[bytes, dict]:
        result = self.call("screenshot")
        return base64.b64decode(result["png"]), result["box"]

    def close(self) -> None:
        try:
            self.call("close")
        except (BrowserError, BrokenPipeError, OSError):
            pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()
