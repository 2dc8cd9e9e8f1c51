"""The agent's own image builds: from inside devbot's running shell container (the rendered pod: UID 1000,
no capabilities, no_new_privs), `buildctl` builds an image with a RUN step on a BuildKit daemon outside
the pod and pushes it with the agent's mounted registry credentials.

The daemon stands for the stack's build service (components/plan/buildService.ts); here it is buildkitd
(built from the Go module proxy by run.sh) running on this machine as root, and the registry is
Debian's docker-registry with htpasswd auth. Both listen only on the podman bridge's gateway address,
the host-internal network the pod reaches them over (as a cluster's pod network).
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import subprocess
import time
from pathlib import Path

import pytest

from conftest import REPO, free_port, http_status, wait_until
from mcp_calls import McpClient

# The images' own Debian base (images/builds.json), which the local storage holds (pulled or a stand-in).
BASE = json.loads((REPO / "images" / "builds.json").read_text())["bases"]["debian"]
BASE_PATH = BASE.removeprefix("docker.io/")  # library/debian:<tag>, as a registry mirror serves it


def gateway() -> str:
    inspected = subprocess.run(["podman", "network", "inspect", "podman", "--format", "{{range .Subnets}}{{.Gateway}}{{end}}"],
                               check=True, capture_output=True, text=True)
    return inspected.stdout.strip()


class Daemon:
    def __init__(self, argv: list[str], log: Path):
        self.log = log
        self.process = subprocess.Popen(argv, stdout=log.open("wb"), stderr=subprocess.STDOUT)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()


@pytest.fixture(scope="module")
def build_service(devbot, state_dir):
    """A registry with basic auth and a BuildKit daemon, reachable from the pod only over the bridge."""
    buildkitd = os.environ.get("IMAGES_TEST_BUILDKITD")
    if not buildkitd:
        pytest.fail("IMAGES_TEST_BUILDKITD is not set: run tests/images/run.sh (it builds buildkitd)")
    host = gateway()
    work = state_dir / "build-service"
    subprocess.run(["rm", "-rf", str(work)], check=True)
    work.mkdir(parents=True)

    user, password = "devbot-robot", secrets.token_urlsafe(12)
    htpasswd = subprocess.run(["htpasswd", "-Bbn", user, password], check=True, capture_output=True, text=True).stdout
    (work / "htpasswd").write_text(htpasswd)
    registry_port = free_port()
    (work / "registry.yml").write_text(json.dumps({
        "version": 0.1,
        "storage": {"filesystem": {"rootdirectory": str(work / "registry")}},
        "http": {"addr": f"{host}:{registry_port}"},
        "auth": {"htpasswd": {"realm": "agents", "path": str(work / "htpasswd")}},
    }))
    registry = Daemon(["docker-registry", "serve", str(work / "registry.yml")], work / "registry.log")

    buildkit_port = free_port()
    (work / "buildkitd.toml").write_text(
        '[worker.oci]\n  enabled = true\n  snapshotter = "native"\n[worker.containerd]\n  enabled = false\n'
        f'[registry."{host}:{registry_port}"]\n  http = true\n')
    daemon = Daemon([buildkitd, "--config", str(work / "buildkitd.toml"), "--root", str(work / "buildkit"),
                     "--addr", f"tcp://{host}:{buildkit_port}"], work / "buildkitd.log")
    try:
        wait_until(lambda: http_status(f"http://{host}:{registry_port}/v2/") == 401, 30, "the registry",
                   logs=lambda: (work / "registry.log").read_text())
        # The base image the agent builds FROM, in the registry (as a mirror or Harbor proxy would hold it).
        subprocess.run(["podman", "push", "--tls-verify=false", f"--creds={user}:{password}", BASE,
                        f"{host}:{registry_port}/{BASE_PATH}"], check=True, capture_output=True)
        service = {"host": host, "registry": f"{host}:{registry_port}", "buildkit": f"tcp://{host}:{buildkit_port}",
                   "user": user, "password": password, "work": work}
        yield service
    finally:
        daemon.stop()
        registry.stop()


def set_registry_credentials(pod, registry: str, user: str, password: str) -> None:
    """The agent's mounted config.json, rewritten in place as the kubelet does on a Secret change."""
    target = pod.secret_file("registry-auth", "config.json")
    staged = target.with_name(".staged")
    auth = base64.b64encode(f"{user}:{password}".encode()).decode()
    staged.write_text(json.dumps({"auths": {registry: {"auth": auth}}}))
    stat = target.stat()
    os.chown(staged, stat.st_uid, stat.st_gid)
    os.chmod(staged, stat.st_mode & 0o7777)
    os.replace(staged, target)


def agent_build(pod, service: dict, name: str) -> dict:
    """What an agent runs through its shell MCP server: write a Dockerfile, build and push it."""
    command = (
        "set -eo pipefail; mkdir -p app && cd app\n"
        f"printf 'FROM {service['registry']}/{BASE_PATH}\\n"
        "RUN echo \"built in $(id -un)'\"'\"'s build step\" > /built.txt\\n' > Dockerfile\n"
        f"buildctl --addr {service['buildkit']} build --frontend dockerfile.v0 --local context=. --local dockerfile=. "
        f"--output type=image,name={service['registry']}/agents/{name},push=true,registry.insecure=true 2>&1 | tail -n 15"
    )
    client = McpClient(pod.url("shell-mcp", "/mcp"), pod.token)
    result = client.call("run_command", {"command": command, "timeout_seconds": 540}, timeout=600)
    return result.structuredContent


def test_agent_builds_and_pushes_an_image_from_its_shell_container(devbot, build_service):
    set_registry_credentials(devbot, build_service["registry"], build_service["user"], build_service["password"])
    started = time.monotonic()
    outcome = agent_build(devbot, build_service, "devbot-app:1")
    assert outcome["exit_code"] == 0, f"{outcome}\n{(build_service['work'] / 'buildkitd.log').read_text()[-3000:]}"
    print(f"build and push took {time.monotonic() - started:.0f} s")

    # The image is in the registry and runs: its RUN step really ran (in the daemon, not in the pod).
    reference = f"{build_service['registry']}/agents/devbot-app:1"
    subprocess.run(["podman", "pull", "--tls-verify=false", f"--creds={build_service['user']}:{build_service['password']}", reference],
                   check=True, capture_output=True)
    try:
        built = subprocess.run(["podman", "run", "--rm", "--pull=never", reference, "cat", "/built.txt"],
                               check=True, capture_output=True, text=True)
        assert built.stdout == "built in root's build step\n"
    finally:
        subprocess.run(["podman", "rmi", "-f", reference], capture_output=True)


def test_push_is_refused_without_the_agents_credentials(devbot, build_service):
    set_registry_credentials(devbot, build_service["registry"], build_service["user"], "not-the-password")
    try:
        outcome = agent_build(devbot, build_service, "devbot-app:2")
        assert outcome["exit_code"] != 0, outcome
        assert "401" in outcome["stdout"] or "unauthorized" in outcome["stdout"].lower(), outcome["stdout"]
    finally:
        set_registry_credentials(devbot, build_service["registry"], build_service["user"], build_service["password"])
