import os
import threading
import time

import pytest

from mcp_calls import McpClient
from pod import http_status, tcp_accepts

MCP_HEADERS = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}


def test_mcp_answers_401_without_the_right_bearer_token(pod):
    url = pod.config.mcp_url
    assert http_status(url, MCP_HEADERS, method="POST") == 401
    assert http_status(url, MCP_HEADERS | {"Authorization": "Bearer not-the-token"}, method="POST") == 401
    assert http_status(url, MCP_HEADERS | {"Authorization": pod.config.mcp_token}, method="POST") == 401
    with pytest.raises(Exception):
        McpClient(url, "not-the-token").tool_names()


def test_healthz_needs_no_token(pod):
    assert http_status(pod.config.healthz_url) == 200


def test_a_rotated_token_file_takes_effect_without_restart(pod):
    old, new = pod.config.mcp_token, "rotated-" + pod.config.mcp_token
    try:
        pod.config.write_token(new)
        assert McpClient(pod.config.mcp_url, new).tool_names()
        with pytest.raises(Exception):
            McpClient(pod.config.mcp_url, old).tool_names()
    finally:
        pod.config.write_token(old)


def test_a_slow_tool_does_not_block_healthz(pod, client):
    # Sync tools run in a worker thread, so kubelet's probe is answered during OCR.
    finished = {}

    def slow_call():
        started = time.monotonic()
        client.call("wait_milliseconds", {"milliseconds": 3000})
        finished["seconds"] = time.monotonic() - started

    caller = threading.Thread(target=slow_call, daemon=True)
    caller.start()
    probe_seconds = []
    while caller.is_alive():
        probe_started = time.monotonic()
        assert http_status(pod.config.healthz_url, timeout=10) == 200
        probe_seconds.append(time.monotonic() - probe_started)
    caller.join()
    assert finished["seconds"] >= 3.0
    assert len(probe_seconds) >= 3
    assert max(probe_seconds) < 1.0, f"/healthz took {max(probe_seconds):.2f}s while a tool was running"


@pytest.mark.skipif(os.geteuid() != 0, reason="needs a second UID to show who is refused")
def test_x_access_control_stays_on(pod):
    stranger = pod.x_client(xauthority=None, user_is_agent=False)
    assert stranger.returncode != 0, "a different UID without the cookie reached the X server"
    agent = pod.x_client(xauthority=None, user_is_agent=True)
    assert agent.returncode == 0, f"UID 1000 without cookie was refused: {agent.stderr}"


def test_x_is_not_served_over_tcp(pod):
    assert not tcp_accepts(6000 + int(pod.config.display.lstrip(":")))
