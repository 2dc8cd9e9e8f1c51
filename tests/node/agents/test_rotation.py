"""Token rotation end to end: a new MCP token and VNC password written to Vault reach devbot's servers
without a restart. ESO refreshes the Secret (forced, as docs/runbook.md's "Rotate secrets" does), kubelet
updates the mounted files in place, and the servers accept the new values and refuse the old ones."""

from __future__ import annotations

import json
import secrets
import string
import subprocess
import time
import urllib.error
import urllib.request

import rfb
from conftest import REPO, PortForward, cluster_dir, computer_pod, kubectl, mcp_port, secret_value, wait_until
from mcp_calls import McpClient


def status_with(port: int, token: str) -> int:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/mcp", method="POST",
        data=json.dumps({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "rotation", "version": "0"}}}).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json",
                 "Accept": "application/json, text/event-stream"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as err:
        return err.code


def random_text(length: int) -> str:
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(length))


def restarts(plan: dict, pod: str) -> dict:
    status = json.loads(kubectl("-n", plan["namespace"], "get", "pod", pod, "-o", "json"))["status"]["containerStatuses"]
    return {s["name"]: s["restartCount"] for s in status}


def test_a_new_token_and_vnc_password_in_vault_reach_the_servers_without_a_restart(plans):
    devbot = plans["devbot"]
    pod = computer_pod(devbot)
    restarts_before = restarts(devbot, pod)
    old_token, old_password = secret_value(devbot, "mcp-token"), secret_value(devbot, "vnc-password")
    new_token, new_password = random_text(48), random_text(8)
    generated = devbot["credentials"]["vaultPaths"]["generated"]
    # As an operator rotates by hand with writeSecrets off: the values go to Vault on standard input.
    subprocess.run(["bash", str(REPO / "scripts" / "node" / "vault.sh"), "run", str(cluster_dir()), "kv", "patch",
                    "-mount=secret", generated, "-"], input=json.dumps({"mcp-token": new_token, "vnc-password": new_password}),
                   text=True, check=True, capture_output=True)
    kubectl("-n", devbot["namespace"], "annotate", "externalsecret", devbot["credentials"]["secretName"],
            f"force-sync={time.time_ns()}", "--overwrite")
    wait_until(lambda: secret_value(devbot, "mcp-token") == new_token, 120, "ESO to write the new token into the Secret")
    assert secret_value(devbot, "vnc-password") == new_password
    assert secret_value(devbot, "authorization") == f"Bearer {new_token}"

    with PortForward(devbot["namespace"], f"svc/{devbot['computer']['name']}", mcp_port(devbot, "shell")) as shell, \
            PortForward(devbot["namespace"], f"svc/{devbot['computer']['name']}", mcp_port(devbot, "computerControl")) as control, \
            PortForward(devbot["namespace"], f"svc/{devbot['computer']['name']}", 5900) as vnc:
        # The mounted files change within kubelet's sync period (30 s on the node) and its Secret cache.
        for port in (shell, control):
            wait_until(lambda: status_with(port, new_token) == 200, 240, f"the server on {port} to accept the new token")
            assert status_with(port, old_token) == 401, "the old token is refused"
        # The desktop converts the mounted file for Xvnc when it changes; each failed try counts towards
        # TigerVNC's blacklist, so wait for the file first and try sparingly.
        password_file = next(e["value"] for c in devbot["computer"]["containers"] if c["role"] == "desktop"
                             for e in c["env"] if e["name"] == "VNC_PASSWORD_FILE")
        wait_until(lambda: kubectl("-n", devbot["namespace"], "exec", pod, "-c", "desktop", "--", "cat", password_file).strip()
                   == new_password, 240, "the new VNC password in the desktop's mounted file")
        wait_until(lambda: rfb.handshake("127.0.0.1", vnc, new_password).get("authenticated") is True, 60,
                   "VNC to accept the new password", interval=3)
        assert rfb.handshake("127.0.0.1", vnc, old_password).get("authenticated") is False, "the old VNC password is refused"
        result = McpClient(f"http://127.0.0.1:{shell}/mcp", new_token).call("run_command", {"command": "echo rotated"})
        assert result.structuredContent["stdout"].strip() == "rotated"
    assert computer_pod(devbot) == pod, "the same pod"
    assert restarts(devbot, pod) == restarts_before, "no container restarted"
