"""What the build must not leave in the images: the build host's npm/pip configuration or CA (passed as
the build secret `build-ca`, scripts/images/build.sh), nor empty files where such configuration was
bind-mounted during a build."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from conftest import REPO, image_of

# Certificates this machine adds to Debian's bundle (a TLS-intercepting proxy's CA, …).
LOCAL_CAS = sorted(Path("/usr/local/share/ca-certificates").glob("**/*.crt"))

FIND = r"""
find / -xdev -type f \( -name .npmrc -o -name npmrc -o -name pip.conf -o -name pip.ini \) -empty -print 2>/dev/null
find / -xdev -name '*sandboxing*' -print 2>/dev/null
ls -A /run/secrets 2>/dev/null | sed 's/^/secret: /'
for marker in "$@"; do
    grep -rlF -- "$marker" /etc /usr/local /opt /root /home 2>/dev/null | sed "s/^/CA found in: /"
done
true
"""


def markers() -> list[str]:
    """One line from the middle of each local CA's base64 body: found only where the PEM was copied."""
    lines = []
    for ca in LOCAL_CAS:
        body = [line for line in ca.read_text().splitlines() if line and not line.startswith("-----")]
        if len(body) > 4:
            lines.append(body[len(body) // 2])
    return lines


def repositories() -> list[str]:
    builds = json.loads((REPO / "images" / "builds.json").read_text())
    return [build["repository"] for build in builds["images"].values()]


@pytest.mark.parametrize("repository", repositories())
def test_no_build_host_configuration_in_the_image(repository):
    image = image_of(repository)
    found = subprocess.run(["podman", "run", "--rm", "--pull=never", "--user=0", "--entrypoint=[\"sh\", \"-c\"]", image,
                            FIND, "find", *markers()], check=True, capture_output=True, text=True, timeout=300)
    assert found.stdout == "", f"{image} carries build-host configuration:\n{found.stdout}"


def test_the_sidecars_source_only_requirements_build_with_the_pinned_backend():
    """images/computer-control-mcp/Dockerfile installs with PIP_CONSTRAINT=build-constraints.txt; pip
    applies it inside its isolated build environments too, so sdists build with the pinned setuptools
    and wheel, not whatever is newest."""
    folder = REPO / "images" / "computer-control-mcp"
    assert "PIP_CONSTRAINT=build-constraints.txt pip install" in (folder / "Dockerfile").read_text()
    pins = dict(line.split("==") for line in (folder / "build-constraints.txt").read_text().splitlines()
                if line and not line.startswith("#"))
    sdist = "pytweening==1.2.0"  # one of requirements.txt's source-only packages
    assert sdist in (folder / "requirements.txt").read_text()
    ca = next((path for path in (os.environ.get("PIP_CERT"), os.environ.get("BUILD_CA_BUNDLE")) if path), None)
    mounts = [f"--volume={ca}:/run/secrets/build-ca:ro", "--env=PIP_CERT=/run/secrets/build-ca"] if ca else []
    built = subprocess.run(
        ["podman", "run", "--rm", "--pull=never", "--network=host", *mounts,
         f"--volume={folder / 'build-constraints.txt'}:/tmp/build-constraints.txt:ro", "--entrypoint=[\"sh\", \"-c\"]",
         image_of("computer-control-mcp"),
         f"cd /tmp && PIP_CONSTRAINT=/tmp/build-constraints.txt pip wheel --no-deps --no-cache-dir -v -w /tmp/w {sdist} 2>&1"],
        capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stdout[-3000:]
    assert f"Successfully installed setuptools-{pins['setuptools']} wheel-{pins['wheel']}" in built.stdout, built.stdout[-3000:]


@pytest.mark.parametrize("name", list(json.loads((REPO / "images" / "builds.json").read_text())["images"]))
def test_the_image_stays_within_its_size_budget(name):
    build = json.loads((REPO / "images" / "builds.json").read_text())["images"][name]
    image = image_of(build["repository"])
    size = int(subprocess.run(["podman", "image", "inspect", "--format", "{{.Size}}", image],
                              check=True, capture_output=True, text=True).stdout)
    assert size <= build["sizeBudgetMB"] * 10**6, (
        f"{image} is {size / 10**6:.0f} MB, over its budget of {build['sizeBudgetMB']} MB (images/builds.json); "
        "see docs/benchmarks.md, Images, for what dominates it")
