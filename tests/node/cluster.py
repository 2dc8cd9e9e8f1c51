"""What the node tier's Python tests share (tests/node/agents with the desktop end-to-end venv, tests/node/agent-loop
with the agent runtime's): the deployed copy of the local stack, kubectl on the tier's cluster, waiting, the
agents' plans (their names, ports and Secret keys come from the program's own plans,
scripts/local-stack/stackPlans.ts), and port-forwards.
"""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def project() -> Path:
    work = os.environ.get("NODE_TIER_WORK")
    if not work:
        pytest.exit("NODE_TIER_WORK is not set: run the node tier through tests/node/run.sh", 2)
    return Path(work) / "project"


def cluster_dir() -> Path:
    return Path(os.environ["LOCAL_CLUSTER_DIR"])


def tools_image() -> str:
    """Debian's static busybox on the node's registry (scripts/node/images.sh tools)."""
    def recorded() -> dict:
        return dict(line.split("=", 1) for line in (cluster_dir() / "node" / "images.env").read_text().split())
    if "BUSYBOX_IMAGE" not in recorded():
        subprocess.run(["bash", str(REPO / "scripts" / "node" / "images.sh"), "tools", str(cluster_dir())], check=True,
                       capture_output=True)
    return recorded()["BUSYBOX_IMAGE"]


def kubectl(*args: str, input: str | None = None, check: bool = True) -> str:
    result = subprocess.run(["kubectl", "--kubeconfig", os.environ["KUBECONFIG"], *args], input=input,
                            capture_output=True, text=True, timeout=300)
    if check and result.returncode != 0:
        raise AssertionError(f"kubectl {' '.join(args)}: {result.stderr.strip()}")
    return result.stdout


def wait_until(check, timeout: float, what: str, interval: float = 0.5):
    deadline = time.monotonic() + timeout
    last = None
    while True:
        try:
            value = check()
            if value:
                return value
        except Exception as err:  # noqa: BLE001 - reported if the wait fails
            last = err
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not after {timeout} s" + (f" ({last})" if last else ""))
        time.sleep(interval)


def load_plans() -> dict[str, dict]:
    """Each agent's plan from the deployed copy's stack file (scripts/local-stack/stackPlans.ts), by name."""
    out = subprocess.run([str(REPO / "node_modules" / ".bin" / "tsx"), str(REPO / "scripts" / "local-stack" / "stackPlans.ts"),
                          "plans", str(project() / "Pulumi.local.yaml")], capture_output=True, text=True, check=True).stdout
    plans = json.loads(out)
    for plan in plans:  # the namespace's name is all these tests use of its plan
        plan["namespace"] = plan["namespace"]["name"]
    return {plan["agent"]: plan for plan in plans}


def secret_value(plan: dict, key: str) -> str:
    data = kubectl("-n", plan["namespace"], "get", "secret", plan["credentials"]["secretName"], "-o",
                   f"jsonpath={{.data.{key.replace('.', chr(92) + '.')}}}")
    return base64.b64decode(data).decode()


def selector(plan: dict) -> str:
    return ",".join(f"{k}={v}" for k, v in plan["computer"]["selector"].items())


def computer_pod(plan: dict) -> str:
    """The name of the agent's running computer pod (waits for one to be Ready)."""
    def ready():
        pods = json.loads(kubectl("-n", plan["namespace"], "get", "pods", "-l", selector(plan), "-o", "json"))["items"]
        for pod in pods:
            if pod["metadata"].get("deletionTimestamp"):
                continue
            conditions = {c["type"]: c["status"] for c in pod["status"].get("conditions", [])}
            if conditions.get("Ready") == "True":
                return pod["metadata"]["name"]
        return None
    return wait_until(ready, 600, f"{plan['agent']}'s computer pod Ready")


class PortForward:
    """`kubectl port-forward <target> :<port>` on a free local port while in the `with` block."""

    def __init__(self, namespace: str, target: str, port: int):
        self.args = ["kubectl", "--kubeconfig", os.environ["KUBECONFIG"], "-n", namespace, "port-forward", target, f":{port}"]

    def __enter__(self) -> int:
        self.process = subprocess.Popen(self.args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        line = self.process.stdout.readline()
        match = re.search(r"127\.0\.0\.1:(\d+)", line)
        if not match:
            self.process.kill()
            raise AssertionError(f"port-forward: {line}")
        return int(match.group(1))

    def __exit__(self, *_):
        self.process.kill()
        self.process.wait()


def mcp_port(plan: dict, container: str) -> int:
    return next(server["port"] for server in plan["mcpServers"] if server["container"] == container)
