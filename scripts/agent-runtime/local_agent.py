"""One agent of a stack, run on this machine: its computer as processes (the shell server; the desktop and its
sidecar for desktop agents) and Kagent's runtime on the config the plan gives it, its MCP URLs pointed at
those processes. Used by tests/agent-loop and scripts/chat.sh."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path

from computers import ShellServer, desktop_pod
from runtime import AgentRuntime, ContainerRuntime, reach_locally, render, runtime_env


@dataclass
class LocalAgent:
    name: str
    files: dict
    runtime: AgentRuntime
    shell: ShellServer
    pod: object | None = None
    # The model API key the runtime was given (what the pod gets from the ModelConfig's Secret).
    model_api_key: str = ""

    @property
    def workspace(self) -> Path:
        return self.shell.workspace

    @property
    def has_desktop(self) -> bool:
        return self.pod is not None

    @property
    def resolution(self) -> str:
        """The desktop's screen, WIDTHxHEIGHT."""
        return self.pod.config.resolution

    @classmethod
    def start(cls, stack_file: Path, name: str, work: Path, controller_url: str, api_key: str,
              model_base_url: str | None = None, desktop: bool = True, image: str | None = None) -> "LocalAgent":
        """`api_key` is the model API key the pod would get from the ModelConfig's Secret; `model_base_url`
        sets the agent's model.baseUrl (a scripted model); `desktop=False` refuses a desktop agent;
        `image` runs the runtime as a container of that image instead of a process."""
        token = uuid.uuid4().hex
        files = render(stack_file, name, work / name, mcp_token=token, model_base_url=model_base_url)
        resolution = files["runtime.json"].get("resolution")
        if resolution and not desktop:
            raise RuntimeError(f"{name} has a desktop, and desktops are not to be started here")
        pod = desktop_pod(token, resolution) if resolution else None
        shell = ShellServer(token, display=pod.config.display if pod else None,
                            xauthority=pod.config.xauthority if pod else None)
        try:
            shell.start()
            local = {server["url"]: shell.url if server["container"] == "shell" else pod.config.mcp_url
                     for server in files["runtime.json"]["mcpServers"]}
            config = reach_locally(files["config.json"], local)
            secrets = {f"{variable['secret']['name']}/{variable['secret']['key']}": api_key
                       for variable in files["runtime.json"]["env"] if "secret" in variable}
            env = runtime_env(files["runtime.json"], controller_url, secrets)
            files_here = {**files, "config.json": config}
            runtime = (ContainerRuntime(files_here, env, image) if image else AgentRuntime(files_here, env)).start()
        except BaseException:
            shell.stop()
            if pod:
                pod.cleanup()
            raise
        return cls(name, {**files, "config.json": config}, runtime, shell, pod, api_key)

    def resident_mib(self) -> int | None:
        return self.runtime.resident_mib()

    def stop(self) -> None:
        self.runtime.stop()
        self.shell.stop()
        if self.pod is not None:
            self.pod.cleanup()
