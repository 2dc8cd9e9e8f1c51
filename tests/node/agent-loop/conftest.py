"""Kagent's runtime as the agents' kagent pods on the node (pytest, with the agent runtime's venv: kagent-adk
0.10.4, a2a-sdk). No kagent controller runs on the node, so these fixtures play its part, from the stack's
own objects:
- the runtime's image (images/kagent-runtime, scripts/agent-runtime/image.sh) pushed to the node's registry;
- kagent's namespace with the controller's API as a pod of that image (scripts/agent-runtime/
  controller_standin.py from a ConfigMap) behind the Service `kagent-controller:8083`, where the runtime's
  KAGENT_URL points;
- the scripted model on the host's end of the node's link, which the operator's way admits: the agent's
  `model.baseUrl` and an `network.agentEgress` rule for that address and port, set in the deployed copy's
  stack config and applied with `pulumi up`;
- per agent, the objects the 0.10 controller creates from the Agent (render.ts --image: config Secret with
  the MCP token ESO synced, ServiceAccount, Deployment, Service), in the agent's namespace, under the stack's
  network policies, quota and restricted pod security.
The scenarios are tests/agent-loop/scenarios.py, the same ones the processes run.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE.parents[1] / "agent-loop"))
sys.path.insert(0, str(HERE.parents[2] / "scripts" / "agent-runtime"))

from cluster import (  # noqa: E402
    REPO,
    PortForward,
    cluster_dir,
    computer_pod,
    kubectl,
    load_plans,
    project,
    secret_value,
    wait_until,
)
from scripted_model import ScriptedModel  # noqa: E402

KAGENT_NAMESPACE = "kagent"
CONTROLLER = "kagent-controller"
CONTROLLER_PORT = 8083
RUNTIME_PORT = 8080
STACK_PREFIX = "persistent-agents:"


def run(command: list[str], **kwargs) -> str:
    result = subprocess.run(command, capture_output=True, text=True, timeout=1800, **kwargs)
    if result.returncode != 0:
        raise AssertionError(f"{' '.join(command[:4])}: {result.stderr.strip()[-3000:]}")
    return result.stdout


def apply(objects: list[dict]) -> None:
    kubectl("apply", "-f", "-", input=json.dumps({"apiVersion": "v1", "kind": "List", "items": objects}))


def node_host_ip() -> str:
    """The host's end of the node's link (scripts/node/network.sh): pods reach the host there only."""
    env = dict(line.split("=", 1) for line in (cluster_dir() / "node" / "network.env").read_text().split())
    return env["NODE_HOST_IP"]


@pytest.fixture(scope="session")
def plans() -> dict[str, dict]:
    return load_plans()


@pytest.fixture(scope="session")
def runtime_image() -> str:
    """images/kagent-runtime on the node's registry, by digest."""
    tag = run(["bash", str(REPO / "scripts" / "agent-runtime" / "image.sh")]).strip()
    return run(["bash", str(REPO / "scripts" / "node" / "images.sh"), "push", str(cluster_dir()), tag,
                "agents/kagent-runtime"]).strip()


def restricted(container: dict) -> dict:
    """A container as the restricted pod security standard admits it."""
    return {**container, "securityContext": {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]},
                                             "runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}}}


@pytest.fixture(scope="session")
def controller(runtime_image):
    """kagent's namespace and the controller's API (the stand-in) as its pod, behind kagent-controller:8083."""
    # tests/node/agents/test_isolation.py deletes a `kagent` namespace of its own when it ends.
    wait_until(lambda: kubectl("get", "namespace", KAGENT_NAMESPACE, "--ignore-not-found", "-o", "name") == "", 180,
               "the previous kagent namespace gone")
    labels = {"app": CONTROLLER}
    source = (REPO / "scripts" / "agent-runtime" / "controller_standin.py").read_text()
    apply([
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": KAGENT_NAMESPACE}},
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": f"{CONTROLLER}-standin", "namespace": KAGENT_NAMESPACE},
         "data": {"controller_standin.py": source}},
        {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": CONTROLLER, "namespace": KAGENT_NAMESPACE},
         "spec": {"replicas": 1, "selector": {"matchLabels": labels}, "template": {"metadata": {"labels": labels}, "spec": {
             "containers": [restricted({
                 "name": "controller", "image": runtime_image, "command": ["python", "/standin/controller_standin.py"],
                 "args": ["--port", str(CONTROLLER_PORT)], "ports": [{"containerPort": CONTROLLER_PORT}],
                 "readinessProbe": {"tcpSocket": {"port": CONTROLLER_PORT}, "periodSeconds": 1},
                 "volumeMounts": [{"name": "standin", "mountPath": "/standin"}]})],
             "volumes": [{"name": "standin", "configMap": {"name": f"{CONTROLLER}-standin"}}]}}}},
        {"apiVersion": "v1", "kind": "Service", "metadata": {"name": CONTROLLER, "namespace": KAGENT_NAMESPACE},
         "spec": {"selector": labels, "ports": [{"port": CONTROLLER_PORT, "targetPort": CONTROLLER_PORT}]}},
    ])
    kubectl("-n", KAGENT_NAMESPACE, "rollout", "status", f"deployment/{CONTROLLER}", "--timeout=300s")
    yield f"svc/{CONTROLLER}"
    kubectl("delete", "namespace", KAGENT_NAMESPACE, "--wait=true", "--timeout=180s", check=False)


@pytest.fixture(scope="session")
def model():
    scripted = ScriptedModel(host=node_host_ip()).start()
    yield scripted
    scripted.stop()


@pytest.fixture(scope="session")
def stack_with_the_scripted_model(model, plans) -> Path:
    """The deployed copy's stack config with each agent's model at the scripted model and an agentEgress rule
    for it, as an operator admits a model gateway on a private address; applied with `pulumi up`."""
    stack_file = project() / "Pulumi.local.yaml"
    stack = yaml.safe_load(stack_file.read_text())
    host, port = model.base_url.removeprefix("http://").split(":")
    for agent in stack["config"][f"{STACK_PREFIX}agents"]:
        agent.setdefault("model", {})["baseUrl"] = model.base_url
        network = agent.setdefault("network", {})
        network["agentEgress"] = [*network.get("agentEgress", []), {"cidr": f"{host}/32", "ports": [int(port)]}]
    stack_file.write_text(yaml.safe_dump(stack, sort_keys=False))
    run(["pulumi", "up", "--stack", "local", "--yes", "--skip-preview"], cwd=project())
    return stack_file


@dataclass
class PodRuntime:
    """The agent's kagent pod (its Deployment), reached through a port-forward of its Service."""

    namespace: str
    name: str
    forward: PortForward
    port: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def pod(self) -> dict:
        pods = json.loads(kubectl("-n", self.namespace, "get", "pods", "-l", f"app=kagent,kagent={self.name}", "-o",
                                  "json"))["items"]
        assert len(pods) == 1, [p["metadata"]["name"] for p in pods]
        return pods[0]

    def alive(self) -> bool:
        """Running, Ready and never restarted: a runtime that crashed during a conversation fails this."""
        (status,) = self.pod()["status"]["containerStatuses"]
        return status["ready"] and status["restartCount"] == 0

    def log_tail(self, lines: int = 150) -> str:
        return kubectl("-n", self.namespace, "logs", f"deployment/{self.name}", f"--tail={lines}", check=False)


@dataclass(frozen=True)
class PodPath:
    """A path in the agent's shell container, read with `kubectl exec` (the workspace on its claim). The pod is
    looked up at each read: a computer that slept and woke is a new pod."""

    plan: dict
    path: str

    def __truediv__(self, part: str) -> "PodPath":
        return PodPath(self.plan, f"{self.path.rstrip('/')}/{part}")

    def read_text(self) -> str:
        return kubectl("-n", self.plan["namespace"], "exec", computer_pod(self.plan), "-c", "shell", "--", "cat",
                       self.path)


@dataclass
class NodeAgent:
    name: str
    files: dict
    runtime: PodRuntime
    workspace: PodPath
    model_api_key: str
    resolution: str | None


def start_agent(plan: dict, image: str, stack_file: Path) -> NodeAgent:
    """Renders the agent's runtime objects from the stack file with the MCP token ESO synced, applies them in
    the agent's namespace and waits for the pod to be Ready (its readiness probe: the agent card)."""
    name, namespace = plan["agent"], plan["namespace"]
    with tempfile.TemporaryDirectory(prefix=f"{name}-runtime-", dir=os.environ.get("NODE_TIER_WORK")) as out:
        run([str(REPO / "node_modules" / ".bin" / "tsx"), str(REPO / "scripts" / "agent-runtime" / "render.ts"),
             "--stack-file", str(stack_file), "--agent", name, "--out", out,
             "--mcp-token", secret_value(plan, "mcp-token"), "--image", image], cwd=REPO)
        files = {file: json.loads((Path(out) / file).read_text())
                 for file in ("config.json", "runtime.json", "specs.json", "workload.json")}
    apply(files["workload.json"])
    kubectl("-n", namespace, "rollout", "status", f"deployment/{name}", "--timeout=300s")
    forward = PortForward(namespace, f"svc/{name}", RUNTIME_PORT)
    runtime = PodRuntime(namespace, name, forward)
    runtime.port = forward.__enter__()
    workspace_dir = next(env["value"] for container in plan["computer"]["containers"] if container["role"] == "shell"
                         for env in container["env"] if env["name"] == "WORKSPACE_DIR")
    return NodeAgent(name, files, runtime, PodPath(plan, workspace_dir),
                     secret_value(plan, "model-api-key"), files["runtime.json"].get("resolution"))


def stop_agent(agent: NodeAgent, request) -> None:
    if request.session.testsfailed:
        print(f"\n--- kagent-adk log of {agent.name} ---\n{agent.runtime.log_tail()}")
    agent.runtime.forward.__exit__(None, None, None)
    kubectl("delete", "-f", "-", "--wait=true", "--ignore-not-found", check=False,
            input=json.dumps({"apiVersion": "v1", "kind": "List", "items": agent.files["workload.json"]}))


@pytest.fixture(scope="module")
def databot(plans, runtime_image, controller, stack_with_the_scripted_model, request):
    agent = start_agent(plans["databot"], runtime_image, stack_with_the_scripted_model)
    yield agent
    stop_agent(agent, request)


@pytest.fixture(scope="module")
def devbot(plans, runtime_image, controller, stack_with_the_scripted_model, request):
    plan = plans["devbot"]
    # The terminal scenario types into "the" terminal and reads "the" terminal back by its title: the
    # terminals earlier tests opened on this desktop would make that two different windows.
    desktop = next(c["name"] for c in plan["computer"]["containers"] if c["role"] == "desktop")
    kubectl("-n", plan["namespace"], "exec", computer_pod(plan), "-c", desktop, "--", "pkill", "-x", "xfce4-terminal",
            check=False)
    agent = start_agent(plan, runtime_image, stack_with_the_scripted_model)
    yield agent
    stop_agent(agent, request)
