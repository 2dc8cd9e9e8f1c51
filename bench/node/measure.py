"""Cold start and memory of the agents' computers on the local node (docs/benchmarks.md, "The local node").

For each agent of the stack: delete its computer pod RUNS times; each time, from the deletion, how long until
the Deployment's new pod exists, is Ready, and (desktop agents: take_screenshot; shell agents: run_command)
answers its first MCP call; p50 and max. Then each running computer's memory working set per container from
kubelet's summary API (through the API server), idle and at its peak (sampled every second) while a build runs
in each shell and OCR in each desktop, against the requests the stack sets; and any OOM kill.
Run by bench/node/run.sh, with KUBECONFIG and STACK_FILE set and the stack deployed.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
# The node tier's conftest (not the desktop tier's, which has the same module name) comes first.
sys.path.insert(0, str(REPO / "tests" / "desktop-e2e"))
sys.path.insert(0, str(REPO / "tests" / "node" / "agents"))
from conftest import PortForward, computer_pod, kubectl, mcp_port, secret_value, wait_until  # noqa: E402
from mcp_calls import McpClient  # noqa: E402

RUNS = int(os.environ.get("RUNS", "5"))


def load_plans() -> dict:
    out = subprocess.run([str(REPO / "node_modules" / ".bin" / "tsx"), str(REPO / "scripts" / "local-stack" / "stackPlans.ts"),
                          "plans", os.environ["STACK_FILE"]], capture_output=True, text=True, check=True).stdout
    plans = json.loads(out)
    for plan in plans:
        plan["namespace"] = plan["namespace"]["name"]
    return {plan["agent"]: plan for plan in plans}


def first_call(plan: dict) -> None:
    desktop = any(c["role"] == "computerControl" for c in plan["computer"]["containers"])
    container = "computerControl" if desktop else "shell"
    token = secret_value(plan, "mcp-token")

    def answered():
        with PortForward(plan["namespace"], f"svc/{plan['computer']['name']}", mcp_port(plan, container)) as port:
            client = McpClient(f"http://127.0.0.1:{port}/mcp", token)
            if desktop:
                return len(client.screenshot_png()) > 0
            return client.call("run_command", {"command": "true"}) is not None
    wait_until(answered, 300, f"{plan['agent']}'s first MCP answer", interval=0.2)


def cold_start(plan: dict) -> dict:
    old = computer_pod(plan)
    started = time.monotonic()
    kubectl("-n", plan["namespace"], "delete", "pod", old, "--wait=false")
    selector = ",".join(f"{k}={v}" for k, v in plan["computer"]["selector"].items())

    def new_pod():
        pods = json.loads(kubectl("-n", plan["namespace"], "get", "pods", "-l", selector, "-o", "json"))["items"]
        return next((p["metadata"]["name"] for p in pods if p["metadata"]["name"] != old), None)
    new = wait_until(new_pod, 120, "the new pod", interval=0.1)
    created = time.monotonic() - started

    def ready():
        pod = json.loads(kubectl("-n", plan["namespace"], "get", "pod", new, "-o", "json"))
        return any(c["type"] == "Ready" and c["status"] == "True" for c in pod["status"].get("conditions", []))
    wait_until(ready, 600, "Ready", interval=0.2)
    became_ready = time.monotonic() - started
    first_call(plan)
    return {"created": created, "ready": became_ready, "first_mcp": time.monotonic() - started}


def quantity_bytes(text: str) -> int:
    units = {"Ki": 1 << 10, "Mi": 1 << 20, "Gi": 1 << 30, "K": 1000, "M": 10**6, "G": 10**9}
    for suffix, factor in units.items():
        if text.endswith(suffix):
            return int(float(text[: -len(suffix)]) * factor)
    return int(text)


def memory(plans: dict) -> list[dict]:
    summary = json.loads(kubectl("get", "--raw", "/api/v1/nodes/local-node/proxy/stats/summary"))
    rows = []
    for plan in plans.values():
        pod_name = computer_pod(plan)
        spec = json.loads(kubectl("-n", plan["namespace"], "get", "pod", pod_name, "-o", "json"))["spec"]
        requests = {c["name"]: quantity_bytes(c["resources"]["requests"]["memory"]) for c in spec["containers"]}
        stats = next(p for p in summary["pods"] if p["podRef"]["name"] == pod_name)
        for container in stats["containers"]:
            rows.append({"agent": plan["agent"], "container": container["name"],
                         "working_set_mib": container["memory"]["workingSetBytes"] / (1 << 20),
                         "request_mib": requests[container["name"]] / (1 << 20)})
    return rows


# A build for the shell (a generated C program of many functions, gcc -O2, twice in parallel) and OCR
# for the desktop (three full-screen passes): the heavy ends of what the e2e tiers exercise.
BUILD = r"""set -e; d=$(mktemp -d); cd "$d"
python3 -c 'import sys; [print(f"int f{i}(int x){{int s=0; for(int j=0;j<x;j++) s+=j*{i}%7; return s;}}") for i in range(6000)]; print("int main(){return f1(3);}")' > big.c
gcc -O2 -c big.c -o a.o & gcc -O2 -c big.c -o b.o & wait; rm -rf "$d"; echo built"""


def workload(plan: dict) -> None:
    desktop = any(c["role"] == "computerControl" for c in plan["computer"]["containers"])
    token = secret_value(plan, "mcp-token")
    with PortForward(plan["namespace"], f"svc/{plan['computer']['name']}", mcp_port(plan, "shell")) as port:
        McpClient(f"http://127.0.0.1:{port}/mcp", token).call("run_command", {"command": BUILD, "timeout": 600}, timeout=660)
    if desktop:
        with PortForward(plan["namespace"], f"svc/{plan['computer']['name']}", mcp_port(plan, "computerControl")) as port:
            client = McpClient(f"http://127.0.0.1:{port}/mcp", token)
            for _ in range(3):
                client.call("take_screenshot_with_ocr", {}, timeout=300)


def peak_memory(plans: dict, run) -> dict:
    """The largest working set of each container seen (every second) while `run` runs."""
    peaks: dict = {}
    done = threading.Event()

    def sample():
        while not done.is_set():
            for row in memory(plans):
                key = (row["agent"], row["container"])
                peaks[key] = max(peaks.get(key, 0), row["working_set_mib"])
            done.wait(1)
    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        run()
    finally:
        done.set()
        sampler.join()
    return peaks


def oom_kills(plans: dict) -> list[str]:
    killed = []
    for plan in plans.values():
        pod = json.loads(kubectl("-n", plan["namespace"], "get", "pod", computer_pod(plan), "-o", "json"))
        for status in pod["status"].get("containerStatuses", []):
            last = status.get("lastState", {}).get("terminated", {})
            if last.get("reason") == "OOMKilled" or status.get("state", {}).get("terminated", {}).get("reason") == "OOMKilled":
                killed.append(f"{plan['agent']}/{status['name']}")
    return killed


def main() -> None:
    plans = load_plans()
    for name, plan in plans.items():
        runs = [cold_start(plan) for _ in range(RUNS)]
        line = ", ".join(f"{key} p50 {statistics.median(r[key] for r in runs):.1f} s (max {max(r[key] for r in runs):.1f})"
                         for key in ("created", "ready", "first_mcp"))
        print(f"{name}: {RUNS} cold starts: {line}")
    time.sleep(30)  # let the desktops settle before reading their memory
    idle = memory(plans)
    peaks = peak_memory(plans, lambda: [workload(plan) for plan in plans.values()])
    for row in idle:
        peak = peaks.get((row["agent"], row["container"]), row["working_set_mib"])
        print(f"{row['agent']}/{row['container']}: working set idle {row['working_set_mib']:.0f} MiB, "
              f"peak under load {peak:.0f} MiB, request {row['request_mib']:.0f} MiB")
    killed = oom_kills(plans)
    print(f"OOM kills during the workloads: {len(killed)} {killed if killed else ''}")


if __name__ == "__main__":
    main()
