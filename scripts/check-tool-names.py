#!/usr/bin/env python3
"""Checks, on a live cluster, that every Agent's tool names are the ones its RemoteMCPServers serve.

Kagent's controller lists each RemoteMCPServer's tools every 60 s into `status.discoveredTools`; a name in
an Agent's `toolNames` that the server does not serve is dropped without any error, and a tool the server
serves that the Agent does not name is one the agent never gets. For each Agent (kagent.dev/v1alpha2) and
each of its `McpServer` tools of kind RemoteMCPServer, this compares the two lists and prints:

    agent-devbot/devbot -> devbot-shell: ok (10 tools)
    agent-devbot/devbot -> devbot-computer-control: planned but not served: press_key; served but not planned: press_keys

A server with no discovered tools yet (or whose `Accepted` condition is not True) is a failure too, with
the condition's message. Exit status 1 on any difference. Needs only python3 and kubectl (current context).

    scripts/check-tool-names.py [-n <namespace> | --all-namespaces] [--agent-label persistent-agents.dev/agent]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys


def kubectl_json(kind: str, scope: list[str]) -> list[dict]:
    run = subprocess.run(["kubectl", "get", kind, *scope, "-o", "json"], capture_output=True, text=True, timeout=60)
    if run.returncode != 0:
        sys.exit(f"check-tool-names: kubectl get {kind} failed: {run.stderr.strip()}")
    return json.loads(run.stdout)["items"]


def accepted(server: dict) -> tuple[bool, str]:
    for condition in server.get("status", {}).get("conditions", []):
        if condition.get("type") == "Accepted":
            return condition.get("status") == "True", condition.get("message", "")
    return False, "no Accepted condition yet (has the kagent controller seen it?)"


def check(agents: list[dict], servers: list[dict], selector: str | None) -> list[tuple[str, bool, str]]:
    """(what, ok, finding) for every tool of every Agent (only those carrying `selector` when given)."""
    by_name = {(s["metadata"]["namespace"], s["metadata"]["name"]): s for s in servers}
    results = []
    for agent in agents:
        meta = agent["metadata"]
        if selector and selector not in meta.get("labels", {}):
            continue
        for tool in agent.get("spec", {}).get("declarative", {}).get("tools", []):
            ref = tool.get("mcpServer") or {}
            if tool.get("type") != "McpServer" or ref.get("kind") != "RemoteMCPServer":
                continue
            namespace = ref.get("namespace") or meta["namespace"]
            what = f"{meta['namespace']}/{meta['name']} -> {ref['name']}"
            server = by_name.get((namespace, ref["name"]))
            if server is None:
                results.append((what, False, f"RemoteMCPServer {namespace}/{ref['name']} does not exist"))
                continue
            served = [t["name"] for t in server.get("status", {}).get("discoveredTools") or []]
            is_accepted, message = accepted(server)
            if not served:
                results.append((what, False, f"no discovered tools (Accepted: {is_accepted}; {message})"))
                continue
            planned = ref.get("toolNames") or []
            if not planned:
                results.append((what, True, f"ok (no toolNames: all {len(served)} served tools)"))
                continue
            missing = sorted(set(planned) - set(served))
            forgotten = sorted(set(served) - set(planned))
            findings = [f"{label}: {', '.join(names)}" for label, names in
                        (("planned but not served", missing), ("served but not planned", forgotten)) if names]
            ok = not findings and is_accepted
            if not is_accepted:
                findings.append(f"Accepted is not True: {message}")
            results.append((what, ok, "; ".join(findings) or f"ok ({len(planned)} tools)"))
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    scope = parser.add_mutually_exclusive_group()
    scope.add_argument("-n", "--namespace")
    scope.add_argument("-A", "--all-namespaces", action="store_true", default=True)
    parser.add_argument("--agent-label", default="persistent-agents.dev/agent",
                        help="check only Agents with this label key (the stack's); '' checks every Agent")
    args = parser.parse_args()
    where = ["-n", args.namespace] if args.namespace else ["--all-namespaces"]
    agents = kubectl_json("agents.v1alpha2.kagent.dev", where)
    servers = kubectl_json("remotemcpservers.v1alpha2.kagent.dev", ["--all-namespaces"])
    results = check(agents, servers, args.agent_label or None)
    for what, _, finding in results:
        print(f"{what}: {finding}")
    if not results:
        print("check-tool-names: no Agent with RemoteMCPServer tools found", file=sys.stderr)
        return 1
    return 0 if all(ok for _, ok, _ in results) else 1


if __name__ == "__main__":
    sys.exit(main())
