"""The node tier's tests of the running agents (pytest, with the desktop end-to-end venv: the official MCP
client, Pillow). tests/node/run.sh runs them after stack.test.ts has deployed the local stack's copy; the
helpers they share with tests/node/agent-loop are in tests/node/cluster.py.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE.parents[1] / "desktop-e2e"))
sys.path.append(str(HERE.parents[1] / "browser-view"))  # browser.py (the chromium driver), replay.py

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


@pytest.fixture(scope="session")
def browser(tmp_path_factory):
    """Debian's chromium driven by tests/browser-view's playwright-core driver, one for the session."""
    if subprocess.run(["dpkg-query", "-W", "-f=${Status}", "chromium"], capture_output=True, text=True).stdout != "install ok installed":
        subprocess.run(["apt-get", "-o", "DPkg::Lock::Timeout=600", "install", "-y", "-qq", "--no-install-recommends", "chromium"],
                       check=True, capture_output=True, env={"DEBIAN_FRONTEND": "noninteractive", "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"})
    from browser import Browser

    driver = Browser(tmp_path_factory.mktemp("browser") / "driver.log")
    yield driver
    driver.close()
