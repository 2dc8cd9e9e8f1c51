"""The browser-view container as a real process: images/browser-view run as UID 1000 with the pod
contract's files (token and VNC password from the Secret, mode from the ConfigMap)."""

import json
import os
import uuid
from pathlib import Path

from pod import AGENT_UID, AgentProcess, Config, http_status, wait_until

REPO = Path(__file__).resolve().parents[2]
NODE = REPO / "node_modules/.bin/node"
SERVER = REPO / "images/browser-view/dist/main.js"


class Bridge:
    def __init__(self, config: Config, vnc_port: int, name: str = "browser-view", extra_env: dict | None = None,
                 agent: str = "devbot"):
        self.config = config
        self.name = name
        self.agent = agent
        self.port = 0  # the server's ephemeral port, read from its "listening" event
        self.token = uuid.uuid4().hex + uuid.uuid4().hex
        self.secrets = config.workdir / "secrets" / name
        self.secrets.mkdir(parents=True, exist_ok=True)
        self.token_file = self.secrets / "browser-view-token"
        self.mode_file = self.secrets / "mode"
        self._write(self.token_file, self.token)
        self._write(self.mode_file, "view-only")
        env = config.base_env() | {
            "AGENT_NAME": agent,
            "HOST": "127.0.0.1",
            "PORT": "0",
            "VNC_HOST": "127.0.0.1",
            "VNC_PORT": str(vnc_port),
            "VNC_PASSWORD_FILE": str(config.vnc_password_file),
            "BROWSER_VIEW_TOKEN_FILE": str(self.token_file),
            "BROWSER_VIEW_MODE_FILE": str(self.mode_file),
        } | (extra_env or {})
        self.process = AgentProcess(name, [str(NODE), str(SERVER)], env, config.workdir / f"{name}.log")
        self.log_offset = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30) -> None:
        assert SERVER.exists(), f"{SERVER} is missing: run tests/browser-view/run.sh (it builds images/browser-view)"
        # A restarted bridge appends to the same log: only what this start writes counts.
        self.log_offset = self.process.log_path.stat().st_size if self.process.log_path.exists() else 0
        self.process.start()
        try:
            self.port = wait_until(lambda: self.listening_port() or not self.process.alive(), timeout, interval=0.1,
                                   what="browser-view listening")
            wait_until(lambda: http_status(f"{self.url}/healthz") == 200 or not self.process.alive(), timeout,
                       interval=0.2, what="browser-view /healthz 200")
        finally:
            if not self.process.alive():
                raise RuntimeError(f"browser-view exited early:\n{self.process.log_tail()}")

    def _write(self, path: Path, content: str) -> None:
        # Like the kubelet updating a mounted volume: a new file swapped in by rename.
        staging = path.with_name(f".{path.name}.{uuid.uuid4().hex[:6]}")
        staging.write_text(content)
        if os.geteuid() == 0:
            os.chown(staging, AGENT_UID, AGENT_UID)
        staging.replace(path)

    def set_mode(self, mode: str, timeout: float = 10) -> None:
        """Rewrites the mode file and waits until the running server has picked it up (no restart)."""
        before = self.process.pid
        self._write(self.mode_file, mode)
        wait_until(lambda: self.logged_mode() == mode, timeout, interval=0.1, what=f"mode {mode} applied")
        assert self.process.pid == before and self.process.alive()

    def rotate_token(self) -> str:
        self.token = uuid.uuid4().hex + uuid.uuid4().hex
        self._write(self.token_file, self.token)
        return self.token

    def events(self, since_start: bool = False) -> list[dict]:
        events = []
        with open(self.process.log_path, "rb") as log:
            log.seek(self.log_offset if since_start else 0)
            text = log.read().decode(errors="replace")
        for line in text.splitlines():
            try:
                events.append(json.loads(line))
            except ValueError:
                continue
        return events

    def listening_port(self) -> int | None:
        ports = [e["port"] for e in self.events(since_start=True) if e.get("event") == "listening"]
        return ports[-1] if ports else None

    def logged_mode(self) -> str | None:
        modes = [e["mode"] for e in self.events() if e.get("event") in ("mode", "listening")]
        return modes[-1] if modes else None

    def stop(self) -> None:
        self.process.stop()
