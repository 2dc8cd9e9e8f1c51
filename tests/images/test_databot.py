"""databot (test-cluster's CLI agent): the shell image alone, run as the stack renders its pod."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from conftest import REPO, wait_until
from mcp_calls import McpClient, texts


def shell(pod) -> McpClient:
    return McpClient(pod.url("shell-mcp", "/mcp"), pod.token)


def run_command(pod, command: str, timeout: float = 120) -> dict:
    """The shell server's run_command, over MCP; returns its structured result."""
    result = shell(pod).call("run_command", {"command": command}, timeout=timeout)
    assert result.structuredContent, texts(result)
    return result.structuredContent


def test_shell_answers_healthz_and_runs_a_tool_as_uid_1000(databot):
    from conftest import http_status

    assert http_status(databot.url("shell-mcp", "/healthz")) == 200
    outcome = run_command(databot, "id -u; id -g; id -G; pwd; cat /proc/self/status | grep -E '^(CapEff|NoNewPrivs)'")
    assert outcome["exit_code"] == 0, outcome
    lines = outcome["stdout"].splitlines()
    assert lines[0] == "1000" and lines[1] == "1000", lines
    assert "1000" in lines[2].split(), "fsGroup is a supplementary group"
    assert lines[3] == "/home/agent/workspace"
    # The rendered securityContext really applies: no capabilities, no_new_privs.
    assert re.search(r"CapEff:\s+0+$", outcome["stdout"], re.M), outcome["stdout"]
    assert re.search(r"NoNewPrivs:\s+1$", outcome["stdout"], re.M), outcome["stdout"]


def test_mcp_needs_the_mounted_token(databot):
    wrong = McpClient(databot.url("shell-mcp", "/mcp"), "not-the-token")
    try:
        wrong.tool_names()
    except BaseException as error:  # the client raises an ExceptionGroup around the HTTP 401
        assert "401" in repr(error) or "Unauthorized" in repr(error), repr(error)
    else:
        raise AssertionError("the shell server accepted a wrong bearer token")


def start_git_fixture(pod) -> int:
    """The git HTTP server as a test-only container in the agent's pod; returns its port."""
    name = pod.pod.container("git-fixture")
    subprocess.run(["podman", "rm", "-f", name], capture_output=True)
    shell_image = next(run.argv[-1] for run in pod.pod.plan.containers if run.name == "shell")
    subprocess.run([
        "podman", "run", "-d", f"--pod={pod.pod.plan.pod}", f"--name={name}", "--pull=never", "--user=1000:1000",
        f"--volume={REPO / 'tests/images/git-fixture.mts'}:/fixture/git-fixture.mts:ro",
        f"--volume={REPO / 'images/shell/test/git-http-server.ts'}:/fixture/shell-test/git-http-server.ts:ro",
        "--entrypoint=[\"node\"]", shell_image, "/fixture/git-fixture.mts", pod.git_user, pod.git_password,
    ], check=True, capture_output=True, text=True)
    found: dict[str, int] = {}

    def listening() -> bool:
        logs = subprocess.run(["podman", "logs", name], capture_output=True, text=True)
        match = re.search(r"^port=(\d+)$", logs.stdout, re.M)
        if match:
            found["port"] = int(match.group(1))
        return bool(match)

    wait_until(listening, 60, "the git fixture's port",
               logs=lambda: subprocess.run(["podman", "logs", name], capture_output=True, text=True).stderr)
    return found["port"]


def rotate_git_credentials(pod, line: str) -> None:
    """Write the mounted credential file in place, as the kubelet does when the Secret changes."""
    target = pod.secret_file("git-credentials", "git-credentials")
    staged = target.with_name(".staged")
    staged.write_text(line + "\n")
    stat = target.stat()
    import os

    os.chown(staged, stat.st_uid, stat.st_gid)
    os.chmod(staged, stat.st_mode & 0o7777)
    os.replace(staged, target)


def test_git_clone_over_http_basic_auth_with_the_mounted_credential_file(databot):
    port = start_git_fixture(databot)
    url = f"http://127.0.0.1:{port}/repo.git"
    try:
        rotate_git_credentials(databot, f"http://{databot.git_user}:wrong@127.0.0.1:{port}")
        refused = run_command(databot, f"GIT_TERMINAL_PROMPT=0 git clone -q {url} /tmp/refused 2>&1")
        assert refused["exit_code"] != 0, "a wrong password must not clone"

        rotate_git_credentials(databot, f"http://{databot.git_user}:{databot.git_password}@127.0.0.1:{port}")
        cloned = run_command(databot, f"GIT_TERMINAL_PROMPT=0 git clone -q {url} clone && cat clone/README.md && rm -rf clone")
        assert cloned["exit_code"] == 0, cloned
        assert cloned["stdout"] == "cloned over HTTP basic auth\n"
        # The helper only reads: nothing was written next to the read-only mount or into ~/.git-credentials.
        leftovers = run_command(databot, "ls -A ~/.git-credentials ~/.config/git 2>&1; true")
        assert "No such file" in leftovers["stdout"], leftovers
    finally:
        subprocess.run(["podman", "rm", "-f", databot.pod.container("git-fixture")], capture_output=True)


def test_the_workspace_volume_keeps_a_file_across_a_container_restart(databot):
    marker = "kept across restarts"
    assert run_command(databot, f"echo '{marker}' > kept.txt && echo scratch > /tmp/scratch.txt")["exit_code"] == 0
    # Recreate every container of the pod (new writable layers), keeping the claims: what a pod restart
    # or a reschedule does with the PVCs.
    databot.pod.start(fresh_claims=False)
    databot.wait_healthy("shell-mcp", "shell")
    outcome = run_command(databot, "cat kept.txt; ls /tmp/scratch.txt 2>&1; stat -c '%U:%G %a' .")
    lines = outcome["stdout"].splitlines()
    assert lines[0] == marker
    assert "No such file" in lines[1], "the container's own files did not survive: it really is a new container"
    assert lines[2] in ("agent:agent 2775", "root:agent 2775", "agent:agent 755"), lines[2]


def test_the_shell_image_has_what_agents_use(databot):
    outcome = run_command(databot, "for tool in git git-lfs curl jq rg python3 pip3 node npm make gcc skopeo buildctl; "
                                   "do command -v $tool >/dev/null || echo missing $tool; done")
    assert outcome["stdout"] == "", outcome["stdout"]
