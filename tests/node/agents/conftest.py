"""The node tier's tests of the running agents (pytest, with the desktop end-to-end venv: the official MCP
client, Pillow). tests/node/run.sh runs them after stack.test.ts has deployed the local stack's copy; the
helpers they share with tests/node/agent-loop are in tests/node/cluster.py.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE.parents[1] / "desktop-e2e"))

from cluster import (  # noqa: E402,F401 - the tests import these from conftest
    REPO,
    PortForward,
    cluster_dir,
    computer_pod,
    kubectl,
    load_plans,
    mcp_port,
    project,
    secret_value,
    selector,
    tools_image,
    wait_until,
)


@pytest.fixture(scope="session")
def plans() -> dict[str, dict]:
    return load_plans()
