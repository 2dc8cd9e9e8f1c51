"""Isolation with real packets: kube-router enforces the stack's NetworkPolicies on the node. Each connection
of the matrix is tried from a real pod (the agents' computers themselves, and stand-in pods labelled as
kagent's controller, as devbot's kagent pod, and as a stranger) and compared with what the project's
NetworkPolicy evaluator (tests/harness/networkPolicyEvaluator.ts, the isolation tests' model) computes from
the policies the API server holds. The issue's own expectations are asserted by name as well, so a wrong
evaluator cannot hide a hole."""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from conftest import REPO, computer_pod, kubectl, tools_image

PROBE_RESOURCES = {"requests": {"cpu": "10m", "memory": "16Mi"}, "limits": {"cpu": "100m", "memory": "64Mi"}}


def probe_pod(namespace: str, name: str, labels: dict, serve_port: int | None = None) -> dict:
    args = ["sleep", "86400"]
    if serve_port:
        args = ["sh", "-c", f"mkdir -p /tmp/www && echo ok > /tmp/www/index.html && exec httpd -f -p {serve_port} -h /tmp/www"]
    return {
        "apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": namespace, "labels": labels},
        "spec": {
            "terminationGracePeriodSeconds": 1, "automountServiceAccountToken": False,
            "securityContext": {"runAsNonRoot": True, "runAsUser": 65534, "seccompProfile": {"type": "RuntimeDefault"}},
            "containers": [{
                "name": "main", "image": tools_image(), "args": args, "resources": PROBE_RESOURCES,
                "securityContext": {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]},
                                    "readOnlyRootFilesystem": True},
                "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}],
            }],
            "volumes": [{"name": "tmp", "emptyDir": {}}],
        },
    }


def pod_info(namespace: str, name: str) -> dict:
    pod = json.loads(kubectl("-n", namespace, "get", "pod", name, "-o", "json"))
    return {"namespace": namespace, "name": name, "labels": pod["metadata"].get("labels", {}), "ip": pod["status"]["podIP"]}


def connects(source: dict, ip: str, port: int) -> bool:
    if source.get("container"):  # a computer: its shell container has bash and coreutils
        command = ["timeout", "4", "bash", "-c", f"</dev/tcp/{ip}/{port}"]
    else:
        command = ["/bin/busybox", "sh", "-c", f"/bin/busybox nc -w 3 {ip} {port} </dev/null"]
    result = subprocess.run(["kubectl", "--kubeconfig", os.environ["KUBECONFIG"], "-n", source["namespace"],
                             "exec", source["name"], *(["-c", source["container"]] if source.get("container") else []),
                             "--", *command], capture_output=True, text=True, timeout=60)
    return result.returncode == 0


def expected(connections: list[dict]) -> list[bool]:
    out = subprocess.run([str(REPO / "node_modules" / ".bin" / "tsx"), str(REPO / "tests" / "node" / "reachability.ts")],
                         input=json.dumps(connections), capture_output=True, text=True, check=True).stdout
    return json.loads(out)


def endpoint(info: dict) -> dict:
    return {key: info[key] for key in ("namespace", "labels", "ip") if key in info}


@pytest.fixture(scope="module")
def world(plans):
    for namespace in ("kagent", "gitea", "elsewhere"):
        kubectl("apply", "-f", "-", input=json.dumps({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}}))
    devbot, databot = plans["devbot"], plans["databot"]
    stand_ins = [
        probe_pod("kagent", "kagent-controller", {"app": "kagent-controller"}),
        probe_pod(devbot["namespace"], "kagent-stand-in", devbot["network"]["policies"]["kagent-agent"]["podSelector"]),
        probe_pod("default", "stranger", {"app": "curious"}),
        probe_pod("gitea", "gitea", {"app": "gitea"}, serve_port=3000),
        probe_pod("elsewhere", "server", {"app": "server"}, serve_port=3000),
    ]
    kubectl("apply", "-f", "-", input="\n---\n".join(json.dumps(p) for p in stand_ins))
    for pod in stand_ins:
        kubectl("-n", pod["metadata"]["namespace"], "wait", "--for=condition=Ready", f"pod/{pod['metadata']['name']}", "--timeout=180s")
    computers = {}
    for name, plan in plans.items():
        info = pod_info(plan["namespace"], computer_pod(plan))
        computers[name] = {**info, "container": "shell"}
    yield {
        "controller": pod_info("kagent", "kagent-controller"),
        "devbot-kagent": pod_info(devbot["namespace"], "kagent-stand-in"),
        "stranger": pod_info("default", "stranger"),
        "gitea": pod_info("gitea", "gitea"),
        "elsewhere": pod_info("elsewhere", "server"),
        "devbot": computers["devbot"],
        "databot": computers["databot"],
    }
    for pod in stand_ins:
        kubectl("-n", pod["metadata"]["namespace"], "delete", "pod", pod["metadata"]["name"], "--wait=false", check=False)
    kubectl("delete", "namespace", "gitea", "elsewhere", "kagent", "--wait=false", check=False)


def test_the_reachability_matrix_holds_on_the_wire(world, plans):
    devbot_ports = [p["port"] for p in plans["devbot"]["computer"]["servicePorts"]] + [9101, 9102]
    databot_ports = [p["port"] for p in plans["databot"]["computer"]["servicePorts"]] + [9101]
    cells = []
    for source in ("controller", "devbot-kagent", "stranger", "databot", "devbot"):
        for target, ports in (("devbot", devbot_ports), ("databot", databot_ports)):
            if source != target:
                cells += [(source, target, port) for port in ports]
    for source in ("devbot", "databot"):  # computers' egress
        cells += [(source, "gitea", 3000), (source, "elsewhere", 3000)]
    connections = [{"from": endpoint(world[s]), "to": endpoint(world[t]), "port": p} for s, t, p in cells]
    model = expected(connections)
    wire = [connects(world[s], world[t]["ip"], p) for s, t, p in cells]
    table = "\n".join(f"  {s:>14} -> {t}:{p}: model {'open' if m else 'closed'}, wire {'open' if w else 'closed'}"
                      for (s, t, p), m, w in zip(cells, model, wire))
    print("reachability matrix:\n" + table)
    mismatches = [f"{s} -> {t}:{p}: model {m}, wire {w}" for (s, t, p), m, w in zip(cells, model, wire) if m != w]
    assert not mismatches, "the wire differs from the policies' model:\n" + "\n".join(mismatches)
    result = {cell: w for cell, w in zip(cells, wire)}
    # The expectations, by name.
    for port in (5900, 6080, 8080, 8081):
        assert not result[("databot", "devbot", port)], f"databot reaches devbot's {port}"
        assert not result[("stranger", "devbot", port)], f"a stranger reaches devbot's {port}"
    for port in (8080, 8081):
        assert result[("controller", "devbot", port)], f"the kagent namespace cannot reach devbot's MCP port {port}"
        assert result[("devbot-kagent", "devbot", port)], f"devbot's kagent pod cannot reach its MCP port {port}"
    for port in (5900, 6080, 9101, 9102):
        assert not result[("controller", "devbot", port)], f"the kagent namespace reaches devbot's {port}"
    assert result[("devbot", "gitea", 3000)], "computerEgress allows the gitea namespace"
    assert not result[("devbot", "elsewhere", 3000)], "nothing else in the cluster"


def test_computers_resolve_names_through_cluster_dns(world):
    source = world["databot"]
    result = subprocess.run(["kubectl", "--kubeconfig", os.environ["KUBECONFIG"], "-n", source["namespace"], "exec",
                             source["name"], "-c", "shell", "--", "getent", "hosts", "vault.vault.svc.cluster.local"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and result.stdout.split()[0].count(".") == 3, result.stderr
