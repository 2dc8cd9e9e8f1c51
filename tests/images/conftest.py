"""Fixtures: the pods the stack renders for test-cluster's devbot (desktop) and databot (CLI), run with
the images scripts/images/build.sh built, as podman pods (tests/images/podman_pod.py).

tests/images/run.sh prepares everything and sets IMAGES_TEST_PODS (the rendered Deployments as JSON),
IMAGES_TEST_STATE (a scratch folder), IMAGES_TEST_TAG (the local image tag, e.g. dev-<run>) and
IMAGES_TEST_RUN (suffixes pod and volume names, so runs at the same time do not meet).
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
sys.path.insert(0, str(HERE))
# The official-MCP-client wrapper, RFB handshake and pixel checks of the desktop end-to-end test.
sys.path.insert(1, str(REPO / "tests" / "desktop-e2e"))

from pod_runner import PodmanPod  # noqa: E402
from podman_pod import translate  # noqa: E402

FS_GROUP = 1000
# podman and buildah as the image scripts configure them (runc, limits the CI sandbox allows).
os.environ.setdefault("CONTAINERS_CONF", str(REPO / "scripts" / "images" / "containers.conf"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def http_status(url: str, timeout: float = 5) -> int:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except (urllib.error.URLError, ConnectionError, TimeoutError, socket.timeout):
        return 0


def wait_until(check, timeout: float, what: str, interval: float = 0.5, logs=lambda: ""):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}\n{logs()}")


def local_image(reference: str) -> str:
    """registry/…/agents/<repository>:<tag>@sha256:… -> the locally built image of that repository."""
    builds = json.loads((REPO / "images" / "builds.json").read_text())
    repository = reference.split("@")[0].rsplit(":", 1)[0].rsplit("/", 1)[-1]
    known = {build["repository"] for build in builds["images"].values()}
    if repository not in known:
        raise AssertionError(f"the pod runs image {reference}, which images/builds.json does not build ({sorted(known)})")
    return image_of(repository)


def image_of(repository: str, sudo: bool = False) -> str:
    """The image this run built (scripts/images/build.sh --tag IMAGES_TEST_TAG [--sudo])."""
    return f"localhost/persistent-agents/{repository}:{os.environ.get('IMAGES_TEST_TAG', 'dev')}{'-sudo' if sudo else ''}"


RUN_SUFFIX = f"-{os.environ['IMAGES_TEST_RUN']}" if os.environ.get("IMAGES_TEST_RUN") else ""


class AgentPod:
    """One agent's rendered pod, running, with the secret values the test mounted."""

    def __init__(self, agent: str, deployment: dict, state: Path):
        self.agent = agent
        self.token = secrets.token_urlsafe(24)
        self.vnc_password = secrets.token_hex(4)  # VNC auth uses 8 characters
        self.git_user, self.git_password = f"{agent}-bot", secrets.token_urlsafe(12)
        self.secret_data = {
            "mcp-token": self.token.encode(),
            "vnc-password": self.vnc_password.encode(),
            # Replaced once the git fixture's port is known (as the kubelet replaces a rotated Secret).
            "git-credentials": b"",
            ".dockerconfigjson": b'{"auths": {}}',
        }
        plan = translate(deployment, local_image, {f"{agent}-credentials": self.secret_data}, lambda _name, _port: free_port(),
                         instance=RUN_SUFFIX)
        self.pod = PodmanPod(plan, state, FS_GROUP)
        self.ports = plan.published

    def url(self, port_name: str, path: str) -> str:
        return f"http://127.0.0.1:{self.ports[port_name]}{path}"

    def secret_file(self, volume: str, path: str) -> Path:
        return self.pod.state_dir / "secrets" / self.pod.plan.pod / volume / path

    def running(self, container: str) -> bool:
        state = subprocess.run(["podman", "inspect", "--format", "{{.State.Status}}", self.pod.container(container)],
                               capture_output=True, text=True).stdout.strip()
        return state == "running"

    def wait_healthy(self, port_name: str, container: str, timeout: float = 180) -> None:
        def healthy() -> bool:
            if not self.running(container):
                # Nothing restarts it here (the kubelet would, into CrashLoopBackOff): fail now, with its logs.
                raise AssertionError(f"{self.agent}'s {container} container exited:\n{self.pod.logs(container)[-4000:]}")
            return http_status(self.url(port_name, "/healthz")) == 200
        wait_until(healthy, timeout, f"{self.agent} {container} /healthz", logs=lambda: self.pod.logs(container)[-4000:])

    def wait_vnc(self, timeout: float = 120) -> None:
        def listening() -> bool:
            try:
                with socket.create_connection(("127.0.0.1", self.ports["vnc"]), timeout=2) as sock:
                    return sock.recv(12).startswith(b"RFB ")
            except OSError:
                return False
        wait_until(listening, timeout, f"{self.agent} VNC banner", logs=lambda: self.pod.logs("desktop")[-4000:])


def _rendered() -> dict:
    path = os.environ.get("IMAGES_TEST_PODS")
    if not path:
        pytest.exit("IMAGES_TEST_PODS is not set: run tests/images/run.sh", returncode=2)
    return json.loads(Path(path).read_text())


@pytest.fixture(scope="session")
def state_dir() -> Path:
    state = os.environ.get("IMAGES_TEST_STATE")
    if not state:
        pytest.exit("IMAGES_TEST_STATE is not set: run tests/images/run.sh", returncode=2)
    path = Path(state)
    path.mkdir(parents=True, exist_ok=True)
    return path


def _started(agent: str, state_dir: Path, wait) -> AgentPod:
    pod = AgentPod(agent, _rendered()[agent], state_dir)
    pod.pod.start(fresh_claims=True)
    try:
        wait(pod)
    except BaseException:
        for run in pod.pod.plan.containers:
            print(f"---- {run.name} logs\n{pod.pod.logs(run.name)[-3000:]}")
        pod.pod.remove()
        raise
    return pod


@pytest.fixture(scope="session")
def devbot(state_dir):
    def ready(pod: AgentPod):
        pod.wait_vnc()
        pod.wait_healthy("shell-mcp", "shell")
        pod.wait_healthy("computer-mcp", "computer-control", timeout=240)
    pod = _started("devbot", state_dir, ready)
    yield pod
    pod.pod.remove()
    pod.pod.remove_claims()


@pytest.fixture(scope="session")
def databot(state_dir):
    pod = _started("databot", state_dir, lambda pod: pod.wait_healthy("shell-mcp", "shell"))
    yield pod
    pod.pod.remove()
    pod.pod.remove_claims()
