"""The computer-control sidecar's /metrics declares every family monitoring/metric-names.json lists for it.

The other half of the metric-name check (tests/monitoring/metricnames checks rules -> list). Serves the
sidecar's own registry with its own metrics listener (images/computer-control-mcp/metrics.py) on a free
loopback port and reads the exposition over HTTP; no X display is needed for that. The desktop end-to-end
tests (tests/desktop-e2e/test_metrics.py) check the same names with a live desktop and real calls.

    PYTHONPATH=images/computer-control-mcp <desktop-e2e venv>/bin/python tests/monitoring/sidecar_metrics.py
"""

import json
import pathlib
import re
import socket
import sys
import urllib.request

import metrics  # images/computer-control-mcp/metrics.py

REPO = pathlib.Path(__file__).resolve().parents[2]


def declared_families(exposition: str) -> dict[str, str]:
    """`# TYPE <family> <type>` lines of a Prometheus text exposition."""
    return {m.group(1): m.group(2) for m in re.finditer(r"^# TYPE (\S+) (\S+)$", exposition, re.M)}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def main() -> int:
    assert declared_families("# TYPE a counter\na 1\n# TYPE b histogram\n") == {"a": "counter", "b": "histogram"}
    expected = json.loads((REPO / "monitoring" / "metric-names.json").read_text())["servers"]["computer-control"]["families"]
    port = free_port()
    server = metrics.serve_metrics("127.0.0.1", port)
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
            declared = declared_families(response.read().decode())
    finally:
        server.shutdown()
    wrong = [f"{family} ({kind}): {'declared as ' + declared[family] if family in declared else 'not exported'}"
             for family, kind in expected.items() if declared.get(family) != kind]
    if wrong:
        print("the computer-control sidecar's /metrics lacks what monitoring/metric-names.json promises:\n  " + "\n  ".join(wrong))
        return 1
    print(f"computer-control /metrics declares all {len(expected)} families of monitoring/metric-names.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
