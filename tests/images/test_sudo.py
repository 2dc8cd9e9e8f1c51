"""`sudo: true`: does sudo work in the shell image built with sudo, under the securityContext the stack
renders for such an agent? Checked with a setuid-root test program and with sudo itself, in containers
that get exactly the rendered flags (tests/images/podman_pod.py), plus or minus capabilities."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from conftest import HERE, image_of
from podman_pod import CLEAR_AMBIENT, translate

SUDO_IMAGE = image_of("shell", sudo=True)
PROBE_IMAGE = image_of("shell-sudo-probe")
# What sudo needs to become root (SETUID, SETGID: setresuid, setgroups, setresgid) plus what apt needs as
# root to hand its download folder to its unprivileged _apt user (CHOWN). Found by removing each of the
# runtime's default set in turn; without any one of these three, sudo or apt's setup fails. Root owns
# what dpkg writes, so neither DAC_OVERRIDE nor FOWNER is needed.
SUDO_CAPABILITIES = ["CHOWN", "SETGID", "SETUID"]
# What the pod gives an agent with network.allowDomains (components/plan/egressProxy.ts).
PROXY_ENV = {"HTTPS_PROXY": "http://devbot-egress.agent-devbot.svc.cluster.local:3128", "NO_PROXY": "localhost,.svc"}

# As the agent: build a one-file package, then install it as root; prints what the probe and sudo saw.
SCRIPT = r"""
setuid-probe
sudo -n id -u 2>&1 | sed 's/^/sudo-id /'
mkdir -p /tmp/pkg/DEBIAN /tmp/pkg/usr/share/sudo-probe && echo probe > /tmp/pkg/usr/share/sudo-probe/file
printf 'Package: sudo-probe\nVersion: 1\nArchitecture: all\nMaintainer: test <test@example.invalid>\nDescription: probe\n' > /tmp/pkg/DEBIAN/control
dpkg-deb --root-owner-group --build /tmp/pkg /tmp/sudo-probe.deb >/dev/null
sudo -n dpkg -i /tmp/sudo-probe.deb >/tmp/dpkg.log 2>&1 && echo "dpkg ok" || { echo "dpkg failed"; tail -3 /tmp/dpkg.log; }
# What apt does before downloading: hand its partial folder to the unprivileged _apt user.
sudo -n install -d -o _apt -m 0700 /var/cache/apt/archives/partial-probe 2>&1 && echo "apt-partial ok" || echo "apt-partial failed"
sudo -n setpriv --reuid=_apt --regid=nogroup --clear-groups ls /var/cache/apt/archives/partial-probe >/dev/null 2>&1 \
    && echo "apt-sandbox ok" || echo "apt-sandbox failed"
# The egress proxy's variables survive sudo (apt reads http_proxy/https_proxy), other variables do not.
sudo -n sh -c 'echo "sudo-env $HTTPS_PROXY|$https_proxy|$NO_PROXY|$no_proxy|${PROBE_OTHER:-dropped}"'
"""


@pytest.fixture(scope="module")
def probe_image() -> str:
    """The sudo-enabled shell image plus the setuid-root probe (compiled with the image's own gcc)."""
    container = subprocess.run(["buildah", "from", "--pull=never", SUDO_IMAGE], check=True, capture_output=True, text=True).stdout.strip()
    try:
        subprocess.run(["buildah", "copy", container, str(HERE / "sudo" / "setuid-probe.c"), "/tmp/setuid-probe.c"], check=True, capture_output=True)
        subprocess.run(["buildah", "run", "--user", "0:0", container, "--", "sh", "-c",
                        "gcc -O2 -o /usr/local/bin/setuid-probe /tmp/setuid-probe.c && chmod 4755 /usr/local/bin/setuid-probe"
                        " && rm /tmp/setuid-probe.c"], check=True, capture_output=True)
        subprocess.run(["buildah", "commit", "--quiet", container, PROBE_IMAGE], check=True, capture_output=True)
    finally:
        subprocess.run(["buildah", "rm", container], capture_output=True)
    return PROBE_IMAGE


def rendered_shell_flags(pods: dict, agent: str) -> list[str]:
    """The rendered shell container's security flags (user, caps, no_new_privs, seccomp)."""
    plan = translate(pods[agent], lambda _ref: PROBE_IMAGE, {f"{agent.removesuffix('-sudo')}-credentials": {
        "mcp-token": b"t", "vnc-password": b"v", "git-credentials": b"", ".dockerconfigjson": b"{}"}}, lambda _n, _p: 0)
    argv = next(c.argv for c in plan.containers if c.name == "shell")
    return [arg for arg in argv if arg.startswith(("--user=", "--group-add=", "--cap-", "--security-opt="))]


def probe(flags: list[str], image: str) -> dict[str, str]:
    # Capabilities as the kubelet grants them to UID 1000: in the bounding set only (podman_pod.ContainerRun).
    entrypoint = json.dumps(CLEAR_AMBIENT + ["bash", "-c"])
    proxy_env = [f"--env={name}={PROXY_ENV[name.upper()]}" for name in
                 ("HTTPS_PROXY", "https_proxy", "NO_PROXY", "no_proxy")] + ["--env=PROBE_OTHER=kept"]
    done = subprocess.run(["podman", "run", "--rm", "--pull=never", *flags, *proxy_env, f"--entrypoint={entrypoint}", image, SCRIPT],
                          capture_output=True, text=True, timeout=120)
    found = {}
    for line in done.stdout.splitlines():
        key, _, value = line.partition(" ")
        found.setdefault(key, value)
    return found


def works(outcome: dict[str, str]) -> bool:
    """sudo makes the agent root, dpkg installs as root, and apt's download sandbox (_apt) can be set up."""
    return all(outcome.get(key) == value for key, value in
               {"sudo-id": "0", "dpkg": "ok", "apt-partial": "ok", "apt-sandbox": "ok"}.items())


@pytest.fixture(scope="module")
def pods() -> dict:
    import os

    return json.loads(Path(os.environ["IMAGES_TEST_PODS"]).read_text())


def test_without_sudo_the_rendered_spec_stops_setuid_entirely(pods, probe_image):
    outcome = probe(rendered_shell_flags(pods, "databot"), probe_image)
    assert outcome["euid"] == "1000", f"no_new_privs: the setuid bit is ignored ({outcome})"
    assert outcome["setresuid"] == "EPERM" and not works(outcome), outcome


def test_the_rendered_sudo_spec_lets_sudo_work(pods, probe_image):
    flags = rendered_shell_flags(pods, "databot-sudo")
    outcome = probe(flags, probe_image)
    # Before components/render/computerPod.ts added SUDO_CAPABILITIES, every capability was dropped: setuid
    # gave euid 0, but setgroups/setresgid failed with EPERM and sudo with "unable to change to root gid".
    assert works(outcome), f"sudo under the rendered spec ({flags}): {outcome}"
    assert sorted(flag.split("=", 1)[1] for flag in flags if flag.startswith("--cap-add=")) == SUDO_CAPABILITIES, \
        "the rendered spec adds exactly the smallest set"
    proxy, no_proxy = PROXY_ENV["HTTPS_PROXY"], PROXY_ENV["NO_PROXY"]
    assert outcome["sudo-env"] == f"{proxy}|{proxy}|{no_proxy}|{no_proxy}|dropped", \
        f"sudo keeps the egress proxy's variables (and resets the rest): {outcome['sudo-env']}"


def test_sudo_works_with_exactly_the_proposed_capabilities_and_not_with_fewer(pods, probe_image):
    base = [flag for flag in rendered_shell_flags(pods, "databot-sudo") if not flag.startswith("--cap-add=")]
    with_set = probe(base + [f"--cap-add={cap}" for cap in SUDO_CAPABILITIES], probe_image)
    assert works(with_set), with_set
    assert with_set["setgroups"] == "ok" and with_set["setresgid"] == "ok" and with_set["setresuid"] == "ok", with_set
    for missing in SUDO_CAPABILITIES:
        fewer = probe(base + [f"--cap-add={cap}" for cap in SUDO_CAPABILITIES if cap != missing], probe_image)
        assert not works(fewer), f"sudo and dpkg also work without {missing}: the set is not the smallest ({fewer})"
