"""A current MCP Python client (mcp 2.x) against the sidecar's mcp 1.x server."""

import json
import os
import subprocess
from pathlib import Path

import pytest

from pod import TOOLS_JSON

CURRENT_CLIENT_VENV = os.environ.get("DESKTOP_E2E_CURRENT_CLIENT_VENV")


@pytest.mark.skipif(not CURRENT_CLIENT_VENV, reason="run through tests/desktop-e2e/run.sh (builds the client venv)")
def test_a_current_python_client_connects_without_an_error_in_the_sidecar_log(pod):
    # Its server/discover probe is refused by mcp 1.x and it falls back to initialize; with the
    # 0.3.10 pins that probe logged an ERROR with a traceback on every connect.
    log = pod.config.workdir / "computer-control.log"
    offset = log.stat().st_size
    run = subprocess.run([str(Path(CURRENT_CLIENT_VENV) / "bin/python"), str(Path(__file__).parent / "current_client.py"),
                          pod.config.mcp_url, pod.config.mcp_token], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-3000:]
    got = json.loads(run.stdout.strip().splitlines()[-1])
    assert got["tools"] == sorted(json.loads(TOOLS_JSON.read_text()))
    assert got["content"] == [["image", "image/png"]]
    with open(log, "rb") as handle:
        handle.seek(offset)
        new = handle.read().decode(errors="replace")
    assert "Traceback" not in new and " ERROR " not in new, new[-3000:]
