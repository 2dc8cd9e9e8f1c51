"""The translation from the rendered Deployment to podman flags (pure; no podman needed)."""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path

import pytest

from podman_pod import SECCOMP_RUNTIME_DEFAULT, UnsupportedSpec, translate

SECRETS = {name: {"mcp-token": b"t", "vnc-password": b"v", "git-credentials": b"g", ".dockerconfigjson": b"{}"}
           for name in ("devbot-credentials", "databot-credentials")}


@pytest.fixture(scope="module")
def rendered() -> dict:
    return json.loads(Path(os.environ["IMAGES_TEST_PODS"]).read_text())


def plan_of(deployment: dict):
    ports = iter(range(30000, 30100))
    return translate(deployment, lambda ref: f"local/{ref.rsplit('/', 1)[-1].split(':')[0]}", SECRETS,
                     lambda _name, _port: next(ports))


def flags(plan, container: str) -> list[str]:
    return next(c.argv for c in plan.containers if c.name == container)


def test_every_container_gets_the_rendered_security_context(rendered):
    plan = plan_of(rendered["devbot"])
    assert [c.name for c in plan.containers] == ["desktop", "computer-control", "shell"]
    for container in plan.containers:
        argv = container.argv
        for expected in ("--user=1000:1000", "--group-add=1000", "--cap-drop=ALL", "--security-opt=no-new-privileges",
                         f"--security-opt=seccomp={SECCOMP_RUNTIME_DEFAULT}", "--pull=never", "--stop-timeout=30"):
            assert expected in argv, f"{container.name}: {expected} missing from {argv}"


def test_volumes_mounts_and_ports(rendered):
    plan = plan_of(rendered["devbot"])
    desktop = flags(plan, "desktop")
    assert "--mount=type=tmpfs,destination=/dev/shm,tmpfs-size=536870912" in desktop
    assert "--volume={secret:vnc-password}:/var/run/secrets/agent/vnc:ro" in desktop
    x11 = f"--volume={plan.pod}-emptydir-x11-socket:/tmp/.X11-unix:rw"
    assert x11 in desktop and x11 in flags(plan, "computer-control"), "one shared emptyDir for the X socket"
    assert plan.volumes["vnc-password"].files == {"vnc-password": (b"v", 0o440)}
    assert plan.volumes["registry-auth"].files == {"config.json": (b"{}", 0o440)}, "items rename keys to paths"
    container_ports = {port["name"] for c in rendered["devbot"]["spec"]["template"]["spec"]["containers"] for port in c.get("ports", [])}
    assert set(plan.published) == container_ports and {"computer-mcp", "shell-mcp", "vnc"} <= container_ports
    assert all(flag.startswith("--publish=127.0.0.1:") for flag in plan.create if flag.startswith("--publish"))
    assert "--memory=2147483648" in desktop and "--cpus=2" in desktop
    assert desktop[-1] == "local/desktop"


def test_capabilities_added_by_the_spec_are_added(rendered):
    deployment = copy.deepcopy(rendered["databot"])
    deployment["spec"]["template"]["spec"]["containers"][0]["securityContext"]["capabilities"]["add"] = ["SETUID", "SETGID"]
    deployment["spec"]["template"]["spec"]["containers"][0]["securityContext"]["allowPrivilegeEscalation"] = True
    shell = flags(plan_of(deployment), "shell")
    assert "--cap-add=SETUID" in shell and "--cap-add=SETGID" in shell
    assert "--security-opt=no-new-privileges" not in shell


@pytest.mark.parametrize("change, message", [
    (lambda spec: spec["containers"][0].update(lifecycle={"preStop": {}}), r"containers\[0\] \(shell\): no podman translation for lifecycle"),
    (lambda spec: spec["containers"][0]["env"].append({"name": "X", "valueFrom": {"secretKeyRef": {}}}), r"env\[X\]: only literal values"),
    (lambda spec: spec["volumes"].append({"name": "host", "hostPath": {"path": "/"}}), r"volumes\[4\] \(host\): no podman translation for volume type \['hostPath'\]"),
    (lambda spec: spec["containers"][0]["volumeMounts"][0].update(subPath="x"), r"volumeMounts\[workspace\]: no podman translation for subPath"),
    (lambda spec: spec.update(hostNetwork=True), r"spec.template.spec: no podman translation for hostNetwork"),
    (lambda spec: spec["containers"][0]["securityContext"].update(seccompProfile={"type": "Localhost"}), r"seccompProfile.type: Localhost"),
    (lambda spec: spec.update(automountServiceAccountToken=True), r"automountServiceAccountToken"),
])
def test_what_it_cannot_translate_is_an_error_naming_the_field(rendered, change, message):
    deployment = copy.deepcopy(rendered["databot"])
    change(deployment["spec"]["template"]["spec"])
    with pytest.raises(UnsupportedSpec, match=message):
        plan_of(deployment)


def test_added_capabilities_of_a_non_root_user_start_through_setpriv(rendered):
    from podman_pod import with_ambient_cleared

    deployment = copy.deepcopy(rendered["databot"])
    deployment["spec"]["template"]["spec"]["containers"][0]["securityContext"]["capabilities"]["add"] = ["SETUID"]
    shell = next(c for c in plan_of(deployment).containers if c.name == "shell")
    assert shell.clear_ambient, "podman would make SETUID effective for UID 1000; the kubelet does not"
    argv = with_ambient_cleared(shell, ["/usr/bin/tini", "--"], ["node", "main.js"])
    assert argv[-4:] == ['--entrypoint=["setpriv", "--inh-caps=-all", "--ambient-caps=-all", "--", "/usr/bin/tini", "--"]',
                         "local/shell", "node", "main.js"]
    assert not next(c for c in plan_of(rendered["databot"]).containers if c.name == "shell").clear_ambient
