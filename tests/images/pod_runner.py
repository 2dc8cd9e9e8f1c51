"""Runs a PodPlan (tests/images/podman_pod.py) with podman: volumes, Secret folders, containers."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

from podman_pod import PodPlan, with_ambient_cleared


def run(argv: list[str], **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(argv, check=True, capture_output=True, text=True, **kwargs)


class PodmanPod:
    """Creates the volumes, secrets and containers of a PodPlan, and removes them again."""

    def __init__(self, plan: PodPlan, state_dir: Path, fs_group: int):
        self.plan = plan
        self.state_dir = state_dir
        self.fs_group = fs_group

    def _prepare_volumes(self, fresh_claims: bool) -> dict[str, str]:
        secret_dirs: dict[str, str] = {}
        for source in self.plan.volumes.values():
            if source.kind == "named":
                is_claim = "-pvc-" in source.podman_name
                exists = subprocess.run(["podman", "volume", "exists", source.podman_name]).returncode == 0
                if exists and (not is_claim or fresh_claims):
                    run(["podman", "volume", "rm", "-f", source.podman_name])
                    exists = False
                if not exists:
                    run(["podman", "volume", "create", source.podman_name])
                    mountpoint = run(["podman", "volume", "inspect", "--format", "{{.Mountpoint}}", source.podman_name]).stdout.strip()
                    os.chown(mountpoint, 0, self.fs_group)
                    os.chmod(mountpoint, source.mode)
            elif source.kind == "secret":
                folder = self.state_dir / "secrets" / self.plan.pod / source.name
                shutil.rmtree(folder, ignore_errors=True)
                folder.mkdir(parents=True)
                os.chmod(folder, source.mode)
                for path, (content, mode) in source.files.items():
                    file = folder / path
                    file.write_bytes(content)
                    # As the kubelet: root-owned, group fsGroup, the volume's mode.
                    os.chown(file, 0, self.fs_group)
                    os.chmod(file, mode)
                secret_dirs[source.name] = str(folder)
        return secret_dirs

    def start(self, fresh_claims: bool = True) -> None:
        self.remove()
        secret_dirs = self._prepare_volumes(fresh_claims)
        run(self.plan.create)
        for container in self.plan.containers:
            argv = container.argv
            if container.clear_ambient:
                config = json.loads(run(["podman", "image", "inspect", "--format", "{{json .Config}}", argv[container.image_at]]).stdout)
                argv = with_ambient_cleared(container, config.get("Entrypoint") or [], config.get("Cmd") or [])
            run([self._with_secret_folders(arg, secret_dirs) for arg in argv])
        run(["podman", "pod", "start", self.plan.pod])

    @staticmethod
    def _with_secret_folders(arg: str, secret_dirs: dict[str, str]) -> str:
        for name, folder in secret_dirs.items():
            arg = arg.replace(f"{{secret:{name}}}", folder)
        return arg

    def container(self, name: str) -> str:
        return f"{self.plan.pod}-{name}"

    def logs(self, name: str) -> str:
        done = subprocess.run(["podman", "logs", self.container(name)], capture_output=True, text=True)
        return done.stdout + done.stderr

    def exec(self, name: str, *command: str, user: str | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
        argv = ["podman", "exec"] + ([f"--user={user}"] if user else []) + [self.container(name), *command]
        return subprocess.run(argv, capture_output=True, text=True, timeout=timeout)

    def remove(self) -> None:
        subprocess.run(["podman", "pod", "rm", "-f", "-t", "5", self.plan.pod], capture_output=True)
        for source in self.plan.volumes.values():
            if source.kind == "named" and "-emptydir-" in source.podman_name:
                subprocess.run(["podman", "volume", "rm", "-f", source.podman_name], capture_output=True)

    def remove_claims(self) -> None:
        for source in self.plan.volumes.values():
            if source.kind == "named":
                subprocess.run(["podman", "volume", "rm", "-f", source.podman_name], capture_output=True)
