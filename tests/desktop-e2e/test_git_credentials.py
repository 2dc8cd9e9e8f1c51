"""The desktop image's read-only git credential helper, through real `git credential`."""

import os
import subprocess
from pathlib import Path

from pod import REPO

# Shared by the desktop and shell images (COPY --from=git-credentials).
GIT_CREDENTIALS = REPO / "images/git-credentials"


def git_credential(action: str, request: str, credentials_file: Path, home: Path) -> subprocess.CompletedProcess:
    env = {
        # As in the image: /etc/gitconfig names the helper, which is on PATH.
        "PATH": f"{GIT_CREDENTIALS}:/usr/bin:/bin",
        "HOME": str(home),
        "GIT_CONFIG_SYSTEM": str(GIT_CREDENTIALS / "gitconfig"),
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_TERMINAL_PROMPT": "0",
        "GIT_CREDENTIALS_FILE": str(credentials_file),
    }
    return subprocess.run(["git", "credential", action], input=request, env=env, capture_output=True, text=True)


def test_helper_answers_get_from_the_mounted_file(tmp_path):
    credentials = tmp_path / "git-credentials"
    credentials.write_text("https://devbot:t0ken@gitea.example\n")
    filled = git_credential("fill", "protocol=https\nhost=gitea.example\n\n", credentials, tmp_path)
    assert filled.returncode == 0, filled.stderr
    assert "username=devbot\n" in filled.stdout and "password=t0ken\n" in filled.stdout


def test_helper_never_writes_the_file(tmp_path):
    credentials = tmp_path / "git-credentials"
    credentials.write_text("https://devbot:t0ken@gitea.example\n")
    for action in ("approve", "reject"):
        git_credential(action, "protocol=https\nhost=other.example\nusername=x\npassword=y\n\n", credentials, tmp_path)
    assert credentials.read_text() == "https://devbot:t0ken@gitea.example\n"


def test_helper_has_nothing_for_other_hosts_or_a_missing_file(tmp_path):
    credentials = tmp_path / "git-credentials"
    credentials.write_text("https://devbot:t0ken@gitea.example\n")
    assert git_credential("fill", "protocol=https\nhost=elsewhere.example\n\n", credentials, tmp_path).returncode != 0
    missing = tmp_path / "absent"
    assert git_credential("fill", "protocol=https\nhost=gitea.example\n\n", missing, tmp_path).returncode != 0
