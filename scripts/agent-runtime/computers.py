"""The agent's computer as processes on this machine: the shell MCP server (`node images/shell/dist/main.js`,
what the shell image runs) and, for desktop agents, the desktop and its computer-control sidecar the way
tests/desktop-e2e runs them. Each gets the contract's environment (docs/pod-contract.md) with paths of
its own and ephemeral ports, and the MCP token as a mounted file would hold it.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SHELL_ENTRY = REPO / "images/shell/dist/main.js"
DESKTOP_E2E = REPO / "tests/desktop-e2e"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until(condition, timeout: float, what: str, interval: float = 0.2):
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} not reached within {timeout:.0f}s")
        time.sleep(interval)


def http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def node_binary() -> str:
    # Node 22 from the project's node_modules first, as the scripts put it on PATH.
    local = REPO / "node_modules/.bin/node"
    return str(local) if local.exists() else shutil.which("node") or "node"


class ShellServer:
    """The shell container's process: the MCP server on /mcp with bearer auth, its workspace a folder."""

    def __init__(self, token: str, display: str | None = None, xauthority: Path | None = None):
        self.token = token
        self.root = Path(tempfile.mkdtemp(prefix="agent-loop-shell-"))
        self.workspace = self.root / "workspace"
        self.home = self.root / "home"
        self.token_file = self.root / "secrets/mcp/mcp-token"
        for folder in (self.workspace, self.home, self.token_file.parent):
            folder.mkdir(parents=True)
        self.token_file.write_text(token)
        self.port = free_port()
        self.display, self.xauthority = display, xauthority
        self.process: subprocess.Popen | None = None
        self.log = self.root / "shell.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/mcp"

    def start(self) -> "ShellServer":
        env = {
            "PATH": f"{Path(node_binary()).parent}:/usr/local/bin:/usr/bin:/bin",
            "HOME": str(self.home),
            "TMPDIR": os.environ.get("TMPDIR", "/tmp"),
            "HOST": "127.0.0.1",
            "PORT": str(self.port),
            "METRICS_PORT": str(free_port()),
            "WORKSPACE_DIR": str(self.workspace),
            "MCP_AUTH_TOKEN_FILE": str(self.token_file),
            "MAX_COMMAND_TIMEOUT_SECONDS": "600",
        }
        if self.display:
            # Programs the agent starts from its shell appear on its desktop, as DISPLAY=:0 does in the pod.
            env["DISPLAY"] = self.display
            if self.xauthority:
                env["XAUTHORITY"] = str(self.xauthority)
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen([node_binary(), str(SHELL_ENTRY)], env=env, cwd=self.workspace,
                                            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                            start_new_session=True)
        wait_until(lambda: http_ok(f"http://127.0.0.1:{self.port}/healthz") or self.process.poll() is not None,
                   30, "shell server healthy")
        if self.process.poll() is not None:
            raise RuntimeError(f"the shell server exited: {self.log.read_text()[-3000:]}")
        return self

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=5)
        shutil.rmtree(self.root, ignore_errors=True)


def desktop_pod(token: str, resolution: str):
    """tests/desktop-e2e's pod (desktop + computer-control sidecar), started, with this MCP token."""
    sys.path.insert(0, str(DESKTOP_E2E))
    from pod import Config, Pod  # noqa: PLC0415 - only desktop tests need it

    pod = Pod(Config(resolution=resolution, mcp_token=token))
    try:
        pod.start_desktop()
        pod.start_sidecar()
    except BaseException:
        pod.cleanup()
        raise
    return pod
