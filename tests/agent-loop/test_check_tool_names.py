"""scripts/check-tool-names.py, the operator's check on a live cluster, on the Agent and RemoteMCPServer the
program registers for databot (tests/golden/outputs/test-cluster) with the `status.discoveredTools` the
kagent controller would write: the tools the real shell server lists. kubectl is a stand-in printing them."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import yaml
from conftest import REPO
from test_tool_names import served_tools

GOLDEN = REPO / "tests/golden/outputs/test-cluster/render.yaml"
SCRIPT = REPO / "scripts/check-tool-names.py"


def registered(kind: str, name: str) -> dict:
    """The kagent object the program registers as Pulumi resource `name` (`databot-<key>`), as rendered."""
    kagent = yaml.safe_load(GOLDEN.read_text())["agents"]["databot"]["kagent"]
    rendered = [kagent["modelConfig"], *kagent["mcpServers"], kagent["agent"]]
    (found,) = [r["object"] for r in rendered if r["object"]["kind"] == kind and f"databot-{r['key']}" == name]
    return found


def run_check(tmp_path, agents: list[dict], servers: list[dict]) -> subprocess.CompletedProcess:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    (tmp_path / "agents.json").write_text(json.dumps({"items": agents}))
    (tmp_path / "servers.json").write_text(json.dumps({"items": servers}))
    kubectl = bin_dir / "kubectl"
    kubectl.write_text(f"""#!/bin/sh
case "$2" in
  agents.*) cat {tmp_path}/agents.json ;;
  remotemcpservers.*) cat {tmp_path}/servers.json ;;
  *) echo "unexpected: $*" >&2; exit 1 ;;
esac
""")
    kubectl.chmod(0o755)
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}"}
    return subprocess.run([sys.executable, str(SCRIPT)], capture_output=True, text=True, env=env, timeout=60)


def with_status(server: dict, tools: list[str], accepted: bool = True) -> dict:
    return {**server, "status": {
        "discoveredTools": [{"name": name, "description": ""} for name in tools],
        "conditions": [{"type": "Accepted", "status": str(accepted), "message": "" if accepted else "connect: refused"}],
    }}


def test_the_live_check_passes_when_the_server_serves_what_the_agent_names(databot, tmp_path):
    agent, server = registered("Agent", "databot-agent"), registered("RemoteMCPServer", "databot-shell")
    discovered = served_tools(databot.shell.url, databot.shell.token)
    run = run_check(tmp_path, [agent], [with_status(server, discovered)])
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout == "agent-databot/databot -> databot-shell: ok (10 tools)\n"


def test_the_live_check_fails_on_drift_both_ways_and_on_a_server_not_yet_discovered(databot, tmp_path):
    agent, server = registered("Agent", "databot-agent"), registered("RemoteMCPServer", "databot-shell")
    discovered = [name for name in served_tools(databot.shell.url, databot.shell.token) if name != "list_jobs"]
    run = run_check(tmp_path, [agent], [with_status(server, [*discovered, "list_all_jobs"])])
    assert run.returncode == 1
    assert run.stdout == ("agent-databot/databot -> databot-shell: planned but not served: list_jobs; "
                          "served but not planned: list_all_jobs\n")
    run = run_check(tmp_path, [agent], [with_status(server, [], accepted=False)])
    assert run.returncode == 1
    assert "no discovered tools (Accepted: False; connect: refused)" in run.stdout
