"""The sidecar's real /metrics after real calls: the names the pod contract and the alert rules use."""

import threading
import urllib.error
import urllib.request

from prometheus_client.parser import text_string_to_metric_families

from pod import LAUNCHER, VENV_PYTHON, AgentProcess, http_status, pick_display, pick_port, wait_until

MCP_HEADERS = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}


def scrape(pod) -> dict[str, list]:
    """Samples by name, e.g. {"mcp_tool_calls_total": [Sample(...), ...]}."""
    samples = _scrape_url(pod.config.metrics_url)
    assert samples is not None, f"{pod.config.metrics_url} did not answer"
    return samples


def value(samples: dict, name: str, **labels) -> float:
    matching = [s.value for s in samples.get(name, []) if all(s.labels.get(k) == v for k, v in labels.items())]
    assert matching, f"no sample {name}{labels} in /metrics (have: {sorted(samples)})"
    return sum(matching)


def test_tool_calls_are_counted_by_tool_and_outcome(pod, client):
    before = scrape(pod)
    client.screenshot_png()
    # Upstream reports a missing window as an "Error: ..." text: an error outcome.
    client.call_raw("activate_window", {"title_pattern": "no window has this title 7f3a", "use_regex": True})
    after = scrape(pod)
    server = {"server": "computer-control"}
    for tool, outcome in (("take_screenshot", "ok"), ("activate_window", "error")):
        labels = server | {"tool": tool, "outcome": outcome}
        assert value(after, "mcp_tool_calls_total", **labels) == value(before, "mcp_tool_calls_total", **labels) + 1
    assert value(after, "mcp_tool_call_duration_seconds_count", **server, tool="take_screenshot") >= 1
    assert value(after, "mcp_tool_call_duration_seconds_sum", **server, tool="take_screenshot") > 0
    assert value(after, "computer_screenshot_duration_seconds_count") == \
        value(before, "computer_screenshot_duration_seconds_count") + 1
    assert value(after, "mcp_tool_calls_in_flight", **server) == 0


def test_refused_requests_are_counted_as_auth_failures(pod):
    before = value(scrape(pod), "mcp_auth_failures_total", server="computer-control")
    assert http_status(pod.config.mcp_url, MCP_HEADERS | {"Authorization": "Bearer wrong"}, method="POST") == 401
    assert http_status(pod.config.mcp_url, MCP_HEADERS, method="POST") == 401
    assert value(scrape(pod), "mcp_auth_failures_total", server="computer-control") == before + 2


def test_a_running_call_shows_in_flight(pod, client):
    caller = threading.Thread(target=client.call, args=("wait_milliseconds", {"milliseconds": 2000}), daemon=True)
    caller.start()
    wait_until(lambda: value(scrape(pod), "mcp_tool_calls_in_flight", server="computer-control") == 1, 5,
               0.1, "one call in flight")
    caller.join(timeout=30)
    assert value(scrape(pod), "mcp_tool_calls_in_flight", server="computer-control") == 0


def test_the_desktop_and_its_session_are_reported_up(pod):
    # The probe runs every 5 s; the session (xfwm4's _NET_SUPPORTING_WM_CHECK) is up once Xfce drew itself.
    wait_until(lambda: value(scrape(pod), "desktop_x_server_up") == 1, 15, 0.5, "desktop_x_server_up 1")
    wait_until(lambda: value(scrape(pod), "desktop_session_up") == 1, 15, 0.5, "desktop_session_up 1")


def test_session_up_needs_a_window_manager_not_just_an_x_server(pod):
    """A bare X server (no Xfce) on another display: X up, session down."""
    display = pick_display()
    xvnc = AgentProcess("bare-xvnc", ["Xvnc", display, "-geometry", "640x480", "-SecurityTypes", "None",
                                      "-nolisten", "tcp", "-rfbport", "-1"], pod.config.base_env(),
                        pod.config.workdir / "bare-xvnc.log")
    xvnc.start()
    metrics_port = pick_port()
    sidecar = AgentProcess("bare-sidecar", [str(VENV_PYTHON), str(LAUNCHER)],
                           pod.sidecar_env() | {"DISPLAY": display, "PORT": str(pick_port()),
                                                "METRICS_PORT": str(metrics_port),
                                                "SCREENSHOT_SCRATCH_DIR": str(pod.config.workdir / "scratch-bare")},
                           pod.config.workdir / "bare-sidecar.log")
    sidecar.start()
    url = f"http://127.0.0.1:{metrics_port}/metrics"
    try:
        wait_until(lambda: _scrape_url(url) and value(_scrape_url(url), "desktop_x_server_up") == 1, 60, 0.5,
                   "bare X reported up")
        assert value(_scrape_url(url), "desktop_session_up") == 0
    finally:
        sidecar.stop()
        xvnc.stop()


def _scrape_url(url: str) -> dict | None:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            text = response.read().decode()
    except OSError:
        return None
    samples: dict[str, list] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples.setdefault(sample.name, []).append(sample)
    return samples


def test_an_unknown_tool_name_is_counted_under_one_label(pod, client):
    client.call_raw("no_such_tool_4d2e")
    samples = scrape(pod)
    assert value(samples, "mcp_tool_calls_total", tool="unknown", outcome="error") >= 1
    assert not any(s.labels.get("tool") == "no_such_tool_4d2e" for s in samples["mcp_tool_calls_total"])


def test_the_metrics_port_serves_metrics_only(pod):
    base = pod.config.metrics_url.rsplit("/", 1)[0]
    for path in ("/", "/mcp", "/healthz"):
        try:
            urllib.request.urlopen(base + path, timeout=5)
            status = 200
        except urllib.error.HTTPError as error:
            status = error.code
        assert status == 404, f"{path} answered {status} on the metrics port"
