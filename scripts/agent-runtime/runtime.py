"""Kagent's agent runtime as the agent pod runs it, on the config the stack's plan gives it.

`render` runs scripts/agent-runtime/render.ts (the program's config validation, plan, kagent specs and
their translation in components/render/kagentRuntime.ts). `AgentRuntime` starts `kagent-adk static --filepath
<folder>` (the 0.10 image's entrypoint with the Deployment's arguments) with the environment the
controller gives the pod (runtime.json), the controller's API at KAGENT_URL being a stand-in, as a
process of the venv, or (`ContainerRuntime`) as a container of images/kagent-runtime.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from computers import REPO, free_port, http_ok, wait_until

RENDER = REPO / "scripts/agent-runtime/render.ts"


def render(stack_file: Path, agent: str, out: Path, mcp_token: str = "", model_base_url: str | None = None) -> dict:
    """config.json, agent-card.json and runtime.json for one agent of a stack file, parsed."""
    command = [str(REPO / "node_modules/.bin/tsx"), str(RENDER), "--stack-file", str(stack_file), "--agent", agent,
               "--out", str(out)]
    if mcp_token:
        command += ["--mcp-token", mcp_token]
    if model_base_url:
        command += ["--model-base-url", model_base_url]
    run = subprocess.run(command, capture_output=True, text=True, cwd=REPO, timeout=120)
    if run.returncode != 0:
        raise RuntimeError(f"render failed: {run.stderr.strip()}")
    return {name: json.loads((out / name).read_text()) for name in ("config.json", "agent-card.json", "runtime.json")}


def reach_locally(config: dict, local_urls: dict[str, str]) -> dict:
    """The config with each MCP URL's host and port replaced by where that server runs here (a process's
    ephemeral port; in the pod: the computer's Service). The path stays as the plan made it."""
    config = json.loads(json.dumps(config))
    for tools in config.get("http_tools", []):
        planned = tools["params"]["url"]
        local = urlsplit(local_urls[planned])
        parts = urlsplit(planned)
        tools["params"]["url"] = urlunsplit((local.scheme, local.netloc, parts.path, parts.query, parts.fragment))
    return config


class AgentRuntime:
    """`kagent-adk static` on a folder holding config.json and agent-card.json."""

    def __init__(self, files: dict, env: dict[str, str]):
        self.folder = Path(tempfile.mkdtemp(prefix="agent-loop-runtime-"))
        (self.folder / "config").mkdir()
        for name in ("config.json", "agent-card.json"):
            (self.folder / "config" / name).write_text(json.dumps(files[name]))
        self.port = free_port()
        self.env = env
        self.log = self.folder / "runtime.log"
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 300) -> "AgentRuntime":
        env = {
            "PATH": "/usr/local/bin:/usr/bin:/bin",
            "HOME": str(self.folder),
            "TMPDIR": os.environ.get("TMPDIR", "/tmp"),
            "PYTHONUNBUFFERED": "1",
            "PYTHONDONTWRITEBYTECODE": "1",
            **self.env,
        }
        command = [sys.executable, "-m", "kagent.adk.cli", "static", "--host", "127.0.0.1", "--port", str(self.port),
                   "--filepath", str(self.folder / "config")]
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(command, env=env, cwd=self.folder, stdin=subprocess.DEVNULL, stdout=log,
                                            stderr=subprocess.STDOUT, start_new_session=True)
        # The pod's readiness probe; a runtime that never gets ready is stopped, not left behind.
        try:
            wait_until(lambda: http_ok(f"{self.url}/.well-known/agent-card.json") or self.process.poll() is not None,
                       timeout, "kagent-adk serving its agent card", interval=0.5)
        except TimeoutError as error:
            log = self.log_tail()
            self.stop()
            raise TimeoutError(f"{error}; its log:\n{log}") from None
        if self.process.poll() is not None:
            log = self.log_tail()
            self.stop()
            raise RuntimeError(f"kagent-adk exited: {log}")
        return self

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def resident_mib(self) -> int | None:
        """The runtime's resident memory, when it runs."""
        if not self.alive():
            return None
        match = re.search(r"VmRSS:\s+(\d+) kB", Path(f"/proc/{self.process.pid}/status").read_text())
        return int(match[1]) // 1024 if match else None

    def log_tail(self, characters: int = 6000) -> str:
        try:
            return self.log.read_text(errors="replace")[-characters:]
        except OSError:
            return ""

    def stop(self) -> None:
        if self.alive():
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=5)
        shutil.rmtree(self.folder, ignore_errors=True)


class ContainerRuntime(AgentRuntime):
    """The same, as a container of an image (images/kagent-runtime) run by podman with the host's network:
    the config folder mounted read-only at /config as the controller's Secret is, the image's entrypoint
    (`kagent-adk static`) with the Deployment's arguments, the image's own user."""

    def __init__(self, files: dict, env: dict[str, str], image: str):
        super().__init__(files, env)
        self.image = image
        self.name = f"kagent-runtime-{self.port}-{os.getpid()}"
        # The image's user (65532) reads the mounted files, as the kubelet's Secret volume lets it.
        for path in (self.folder, self.folder / "config"):
            path.chmod(0o755)
        for path in (self.folder / "config").iterdir():
            path.chmod(0o644)

    def start(self, timeout: float = 300) -> "ContainerRuntime":
        env_args = [arg for name, value in self.env.items() for arg in ("--env", f"{name}={value}")]
        command = ["podman", "run", "--detach", "--rm", "--name", self.name, "--network", "host",
                   "--volume", f"{self.folder / 'config'}:/config:ro", *env_args, self.image,
                   "--host", "127.0.0.1", "--port", str(self.port), "--filepath", "/config"]
        run = subprocess.run(command, capture_output=True, text=True, timeout=120)
        if run.returncode != 0:
            raise RuntimeError(f"podman run failed: {run.stderr.strip()}")
        try:
            wait_until(lambda: http_ok(f"{self.url}/.well-known/agent-card.json") or not self.alive(), timeout,
                       "the runtime's container serving its agent card", interval=0.5)
        except TimeoutError as error:
            log = self.log_tail()
            self.stop()
            raise TimeoutError(f"{error}; its log:\n{log}") from None
        if not self.alive():
            log = self.log_tail()
            self.stop()
            raise RuntimeError(f"the runtime's container exited: {log}")
        return self

    def alive(self) -> bool:
        run = subprocess.run(["podman", "container", "inspect", "--format", "{{.State.Running}}", self.name],
                             capture_output=True, text=True, timeout=30)
        return run.stdout.strip() == "true"

    def log_tail(self, characters: int = 6000) -> str:
        run = subprocess.run(["podman", "logs", self.name], capture_output=True, text=True, timeout=30)
        return (run.stdout + run.stderr)[-characters:]

    def resident_mib(self) -> int | None:
        run = subprocess.run(["podman", "container", "inspect", "--format", "{{.State.Pid}}", self.name],
                             capture_output=True, text=True, timeout=30)
        status = Path(f"/proc/{run.stdout.strip()}/status")
        match = re.search(r"VmRSS:\s+(\d+) kB", status.read_text()) if status.exists() else None
        return int(match[1]) // 1024 if match else None

    def stop(self) -> None:
        subprocess.run(["podman", "rm", "--force", "--time", "10", self.name], capture_output=True, timeout=60)
        shutil.rmtree(self.folder, ignore_errors=True)


def runtime_env(runtime_json: dict, kagent_url: str, secrets: dict[str, str]) -> dict[str, str]:
    """The container's environment from runtime.json: Secret keys from `secrets`, KAGENT_URL replaced by
    the stand-in's address."""
    env = {}
    for variable in runtime_json["env"]:
        if "value" in variable:
            env[variable["name"]] = variable["value"]
        else:
            ref = variable["secret"]
            env[variable["name"]] = secrets[f"{ref['name']}/{ref['key']}"]
    env["KAGENT_URL"] = kagent_url
    return env
