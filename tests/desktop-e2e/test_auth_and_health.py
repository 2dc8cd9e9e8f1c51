import os
import threading
import time
import urllib.error
import urllib.request

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


def healthz_body(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_healthz_says_healthy_and_nothing_about_the_running_tool(pod, client):
    # /healthz is unauthenticated: it must not tell anyone which tool runs or for how long.
    caller = threading.Thread(target=client.call, args=("wait_milliseconds", {"milliseconds": 1500}), daemon=True)
    caller.start()
    time.sleep(0.5)
    during = healthz_body(pod.config.healthz_url)
    caller.join(timeout=30)
    assert during == (200, "healthy\n")
    assert healthz_body(pod.config.healthz_url) == (200, "healthy\n")


def test_a_missing_or_empty_token_file_fails_closed(pod):
    """The rule shared with the shell server: no token file, no access, and /healthz says so."""
    token_file, token = pod.config.mcp_token_file, pod.config.mcp_token
    headers = MCP_HEADERS | {"Authorization": f"Bearer {token}"}
    try:
        token_file.unlink()
        assert http_status(pod.config.mcp_url, headers, method="POST") == 401
        assert healthz_body(pod.config.healthz_url) == (503, "unhealthy\n")
        pod.config.write_token("")
        assert http_status(pod.config.mcp_url, headers, method="POST") == 401
        assert healthz_body(pod.config.healthz_url) == (503, "unhealthy\n")
        pod.config.write_token("  \n")
        assert healthz_body(pod.config.healthz_url) == (503, "unhealthy\n")
    finally:
        pod.config.write_token(token)
    assert healthz_body(pod.config.healthz_url) == (200, "healthy\n")
    assert McpClient(pod.config.mcp_url, token).tool_names()


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


def test_small_responses_are_not_held_back_by_nagles_algorithm(pod):
    """With Nagle's algorithm on, a small response's body waits for the client's delayed ACK of its
    headers: every ping, click or key press took 40+ ms more (seen after the listening socket was made
    with protocol 0, which asyncio does not switch to TCP_NODELAY). One kept connection, 15 pings."""
    import http.client
    import json
    import statistics

    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "ping"})
    headers = MCP_HEADERS | {"Authorization": f"Bearer {pod.config.mcp_token}", "MCP-Protocol-Version": "2025-06-18"}
    connection = http.client.HTTPConnection("127.0.0.1", pod.config.mcp_port, timeout=10)
    seconds = []
    try:
        for _ in range(15):
            started = time.monotonic()
            connection.request("POST", "/mcp", body=body, headers=headers)
            response = connection.getresponse()
            assert response.status == 200 and b'"result"' in response.read()
            seconds.append(time.monotonic() - started)
    finally:
        connection.close()
    assert statistics.median(seconds) < 0.03, f"ping took {statistics.median(seconds) * 1000:.0f} ms (median)"


def test_requests_through_a_service_name_are_served(pod):
    """kagent reaches the sidecar as http://<agent>-computer.<namespace>:8080/mcp: the Host header is a Service
    name, never localhost. mcp >= 1.23 turns on DNS-rebinding protection for a FastMCP made with its default
    host (127.0.0.1, as computer-control-mcp makes it), which would refuse every such request."""
    import http.client
    import json

    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "ping"})
    for host in ("devbot-computer.agents:8080", "10.42.0.17:8080", "devbot-computer.agents.svc.cluster.local"):
        headers = MCP_HEADERS | {"Authorization": f"Bearer {pod.config.mcp_token}", "Host": host,
                                 "MCP-Protocol-Version": "2025-06-18"}
        connection = http.client.HTTPConnection("127.0.0.1", pod.config.mcp_port, timeout=10)
        try:
            connection.request("POST", "/mcp", body=body, headers=headers)
            response = connection.getresponse()
            answer = response.read()
        finally:
            connection.close()
        assert response.status == 200 and b'"result"' in answer, f"Host {host}: {response.status} {answer[:200]!r}"
