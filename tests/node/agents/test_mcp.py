"""MCP over the agents' Services (kubectl port-forward: the API server and kubelet carry it), with the bearer
token ESO synced from Vault into the agent's Secret: devbot's desktop is drawn, a click and typed text change
it, and run_command works in both agents' shells."""

from __future__ import annotations

import json
import uuid

from conftest import PortForward, kubectl, mcp_port, secret_value, wait_until
from mcp_calls import McpClient
from screen import changed_fraction, decode, looks_like_xfce_desktop


def terminal_windows(client: McpClient) -> list[dict]:
    return [w for w in client.windows() if w["title"].startswith("Terminal")]


def test_devbot_desktop_is_drawn_and_a_click_and_typed_text_change_it(plans):
    devbot = plans["devbot"]
    token = secret_value(devbot, "mcp-token")
    target = f"svc/{devbot['computer']['name']}"
    with PortForward(devbot["namespace"], target, mcp_port(devbot, "computerControl")) as port:
        client = McpClient(f"http://127.0.0.1:{port}/mcp", token)
        before = decode(client.screenshot_png())
        assert before.size == (1280, 800)
        assert looks_like_xfce_desktop(before), "a blank or broken frame"

        # A terminal (Xfce's Ctrl+Alt+T; pressed again if the settings daemon had not grabbed the keys yet).
        for _ in range(3):
            client.call("press_keys", {"keys": [["ctrl", "alt", "t"]]})
            try:
                wait_until(lambda: terminal_windows(client), 10, "a terminal window", interval=0.3)
                break
            except AssertionError:
                continue
        window = terminal_windows(client)[0]
        opened = decode(client.screenshot_png())
        # A click into the terminal's middle, then typed text: both must show on the screen.
        x, y = window["left"] + window["width"] // 2, window["top"] + window["height"] // 2
        client.call("click_screen", {"x": x, "y": y})
        word = f"node{uuid.uuid4().hex[:8]}"
        client.call("type_text", {"text": f"echo {word} > ~/workspace/typed-on-the-node.txt"})
        client.call("press_keys", {"keys": "enter"})
        box = (window["left"], window["top"], window["left"] + window["width"], window["top"] + window["height"])
        after = decode(client.screenshot_png())
        assert changed_fraction(before, opened, box) > 0.05, "the terminal opened on the screen"
        assert changed_fraction(opened, after, box) > 0.002, "the typed text shows in the terminal"

    # What was typed on the desktop ran there and wrote to the workspace the shell shares.
    with PortForward(devbot["namespace"], target, mcp_port(devbot, "shell")) as port:
        shell = McpClient(f"http://127.0.0.1:{port}/mcp", token)
        read = lambda: shell.call("run_command", {"command": "cat ~/workspace/typed-on-the-node.txt"}).structuredContent  # noqa: E731
        assert wait_until(lambda: read()["stdout"].strip() == word, 15, "the typed command's file")

        # Both servers' audit trails on the config volume (docs/audit-trail.md): the sidecar's holds the typing
        # and the click, the agent named; the shell's holds the run_command just made.
        def trail(server: str) -> list[dict]:
            out = shell.call("run_command", {"command": f"cat ~/.config/persistent-agents/audit/{server}.jsonl"})
            return [json.loads(line) for line in out.structuredContent["stdout"].splitlines()]
        control = wait_until(lambda: [e for e in trail("computer-control") if e["tool"] == "type_text"
                                      and word in e["arguments"]["text"]], 15, "the typing in the sidecar's trail")
        assert control[0]["agent"] == "devbot" and control[0]["server"] == "computer-control"
        assert any(e["tool"] == "click_screen" and e["outcome"] == "ok" for e in trail("computer-control"))
        assert any(e["tool"] == "run_command" and "typed-on-the-node" in e["arguments"]["command"]
                   and e["agent"] == "devbot" for e in trail("shell"))


def test_run_command_in_both_agents_shells(plans):
    for name, plan in plans.items():
        token = secret_value(plan, "mcp-token")
        with PortForward(plan["namespace"], f"svc/{plan['computer']['name']}", mcp_port(plan, "shell")) as port:
            result = McpClient(f"http://127.0.0.1:{port}/mcp", token).call(
                "run_command", {"command": "id -u; cat /proc/1/cgroup | head -n1; echo $HOME"})
            stdout = result.structuredContent["stdout"].splitlines()
            assert stdout[0] == "1000", f"{name}: {stdout}"
            assert stdout[-1] == "/home/agent", f"{name}: {stdout}"


def test_the_servers_refuse_a_wrong_token(plans):
    import urllib.error
    import urllib.request

    plan = plans["databot"]
    with PortForward(plan["namespace"], f"svc/{plan['computer']['name']}", mcp_port(plan, "shell")) as port:
        request = urllib.request.Request(f"http://127.0.0.1:{port}/mcp", data=b"{}", method="POST",
                                         headers={"Authorization": "Bearer not-the-token", "Content-Type": "application/json"})
        try:
            urllib.request.urlopen(request, timeout=10)
            status = 200
        except urllib.error.HTTPError as err:
            status = err.code
        assert status == 401
    assert kubectl("-n", plan["namespace"], "get", "secret", plan["credentials"]["secretName"], "-o", "name")
