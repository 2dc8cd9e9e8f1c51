"""The build service's daemon as the stack renders it (issue 21): each agent's buildkitd Deployment of
test-cluster with the build service on (tests/images/render-build-daemons.ts), run with the locally built
images/buildkitd image as a container whose every pod-spec field is translated to the podman flag that
does the same (anything else fails, naming the field): `hostUsers: false` as a user namespace mapped to a
range of host IDs of its own, the capabilities, seccomp and AppArmor profiles, no_new_privs, the TLS Secret
as a read-only folder of the files the ExternalSecret writes (issued from the stack's specs:
tests/build-isolation/issue-tls.mts), emptyDirs as tmpfs. Then each agent's buildctl builds on its own
daemon, with the process sandbox, and is refused by the other's.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from conftest import free_port, wait_until

REPO = Path(__file__).resolve().parents[2]
IMAGE = f"localhost/persistent-agents/buildkitd:{os.environ.get('IMAGES_TEST_TAG', 'dev')}"
AGENTS = ["devbot", "databot"]
# A host ID range per daemon, as the kubelet gives each pod with hostUsers: false (outside the 0-65535 of
# the machine's own users and the 100000+ ranges /etc/subuid hands out).
HOST_ID_BASE = 3_000_000

HANDLED_POD = {"hostUsers", "automountServiceAccountToken", "enableServiceLinks", "containers", "volumes"}
HANDLED_CONTAINER = {"name", "image", "command", "args", "ports", "readinessProbe", "livenessProbe",
                     "securityContext", "env", "resources", "volumeMounts"}
HANDLED_SECURITY = {"runAsUser", "runAsGroup", "runAsNonRoot", "allowPrivilegeEscalation", "capabilities",
                    "seccompProfile", "appArmorProfile"}


def _known(where: str, spec: dict, handled: set[str]) -> None:
    unknown = sorted(set(spec) - handled)
    if unknown:
        raise ValueError(f"{where}: {', '.join(unknown)} not translated to podman flags")


def podman_args(deployment: dict, host_id: int, tls_dir: Path, port: int) -> list[str]:
    """The daemon's pod as `podman run` arguments (one container); fails on a field it does not translate."""
    pod = deployment["spec"]["template"]["spec"]
    _known("pod", pod, HANDLED_POD)
    [container] = pod["containers"]
    _known("container", container, HANDLED_CONTAINER)
    security = container["securityContext"]
    _known("securityContext", security, HANDLED_SECURITY)
    args = ["--name", f"pa-build-daemon-{deployment['metadata']['name']}", "--pull=never", "--rm", "-d"]
    if pod.get("hostUsers") is False:
        args += [f"--uidmap=0:{host_id}:65536", f"--gidmap=0:{host_id}:65536"]
    args += [f"--user={security['runAsUser']}:{security['runAsGroup']}", "--cap-drop=all"]
    args += [f"--cap-add={cap}" for cap in security["capabilities"]["add"]]
    if security["allowPrivilegeEscalation"] is False:
        args.append("--security-opt=no-new-privileges")
    assert security["seccompProfile"] == {"type": "Unconfined"}
    assert security["appArmorProfile"] == {"type": "Unconfined"}
    args += ["--security-opt=seccomp=unconfined", "--security-opt=apparmor=unconfined"]
    args += [f"--env={e['name']}={e['value']}" for e in container["env"]]
    volumes = {v["name"]: v for v in pod["volumes"]}
    for mount in container["volumeMounts"]:
        volume = volumes[mount["name"]]
        if "secret" in volume:
            files = {item["path"] for item in volume["secret"]["items"]}
            assert files == {p.name for p in tls_dir.iterdir()}, f"the Secret's files {files}"
            args.append(f"--volume={tls_dir}:{mount['mountPath']}:ro")
        elif "emptyDir" in volume:
            args.append(f"--tmpfs={mount['mountPath']}:mode=1777")
        else:
            raise ValueError(f"volume {volume['name']}: not translated")
    [container_port] = container["ports"]
    args.append(f"--publish=127.0.0.1:{port}:{container_port['containerPort']}")
    args += ["--entrypoint", json.dumps(container["command"]), IMAGE, *container["args"]]
    return args


def _logs(name: str) -> str:
    return subprocess.run(["podman", "logs", name], stderr=subprocess.STDOUT, stdout=subprocess.PIPE, text=True).stdout


@pytest.fixture(scope="module")
def daemons(state_dir):
    buildctl = os.environ.get("IMAGES_TEST_BUILDCTL")
    if not buildctl:
        pytest.fail("IMAGES_TEST_BUILDCTL is not set: run tests/images/run.sh (it builds buildctl)")
    work = state_dir / "build-daemons"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    rendered = json.loads(subprocess.run([str(REPO / "node_modules/.bin/tsx"), str(REPO / "tests/images/render-build-daemons.ts")],
                                         check=True, capture_output=True, text=True, cwd=REPO).stdout)
    subprocess.run(["node", "--import", "tsx", "tests/build-isolation/issue-tls.mts", str(work), *AGENTS],
                   check=True, capture_output=True, cwd=REPO)
    started = {}
    try:
        for index, agent in enumerate(AGENTS):
            tls = work / agent / "daemon"
            # The daemon reads its files as root of its namespace, i.e. the range's first host ID.
            for path in [tls, *tls.iterdir()]:
                os.chown(path, HOST_ID_BASE + index * 65536, HOST_ID_BASE + index * 65536)
            port = free_port()
            args = podman_args(rendered[agent], HOST_ID_BASE + index * 65536, tls, port)
            subprocess.run(["podman", "run", *args], check=True, capture_output=True, text=True)
            name = args[1]
            started[agent] = {"name": name, "port": port, "host_id": HOST_ID_BASE + index * 65536,
                              "client": work / agent / "client", "deployment": rendered[agent]}
            wait_until(lambda: "running server on" in _logs(name), 60, f"{agent}'s buildkitd",
                       logs=lambda: _logs(name)[-3000:])
        yield {"buildctl": buildctl, "work": work, "daemons": started}
    finally:
        for daemon in started.values():
            subprocess.run(["podman", "rm", "-f", daemon["name"]], capture_output=True)


def buildctl(env: dict, daemon: dict, client: Path, *args: str) -> subprocess.CompletedProcess:
    agent = daemon["deployment"]["metadata"]["labels"]["persistent-agents.dev/agent"]
    return subprocess.run([env["buildctl"], "--addr", f"tcp://127.0.0.1:{daemon['port']}", "--tlsservername",
                           f"{agent}-buildkitd.agent-builds.svc.cluster.local", "--tlsdir", str(client),
                           "--timeout", "10", *args], capture_output=True, text=True, timeout=300)


def test_each_agents_daemon_runs_its_steps_in_a_pid_namespace_of_their_own(daemons):
    context = daemons["work"] / "context"
    context.mkdir(exist_ok=True)
    shutil.copy("/bin/busybox", context / "busybox")
    (context / "Dockerfile").write_text(
        "FROM scratch\nCOPY busybox /bin/busybox\nRUN [\"/bin/busybox\", \"--install\", \"-s\", \"/bin\"]\nARG NONCE\n"
        "RUN echo \"pid1 $(tr '\\0' ' ' < /proc/1/cmdline)\"; ls -d /proc/[0-9]* | wc -l\n")
    for agent, daemon in daemons["daemons"].items():
        started = time.monotonic()
        result = buildctl(daemons, daemon, daemon["client"], "build", "--frontend", "dockerfile.v0",
                          "--local", f"context={context}", "--local", f"dockerfile={context}",
                          "--opt", f"build-arg:NONCE={time.time()}", "--progress", "plain")
        assert result.returncode == 0, result.stderr[-3000:]
        output = [line.split(" ", 2)[2] for line in result.stderr.splitlines()
                  if line.startswith("#") and len(line.split(" ", 2)) == 3 and line.split(" ", 2)[1][:1].isdigit()]
        assert any(line.startswith("pid1 /bin/sh -c") for line in output), output
        assert int(output[-1]) <= 3, f"{agent}'s build step sees {output[-1]} processes"
        print(f"{agent}: build on its daemon in {time.monotonic() - started:.1f} s")
        workers = buildctl(daemons, daemon, daemon["client"], "debug", "workers", "-v")
        assert re.search(r"oci\.process-mode:\s+sandbox", workers.stdout), workers.stdout


def test_a_daemon_refuses_the_other_agents_certificate(daemons):
    devbot, databot = daemons["daemons"]["devbot"], daemons["daemons"]["databot"]
    assert buildctl(daemons, devbot, devbot["client"], "du").returncode == 0
    assert buildctl(daemons, devbot, databot["client"], "du").returncode != 0
    assert buildctl(daemons, databot, devbot["client"], "du").returncode != 0


def test_each_daemon_runs_as_its_own_unprivileged_host_ids(daemons):
    for daemon in daemons["daemons"].values():
        pid = subprocess.run(["podman", "inspect", "--format", "{{.State.Pid}}", daemon["name"]],
                             check=True, capture_output=True, text=True).stdout.strip()
        children = subprocess.run(["pgrep", "-P", pid], capture_output=True, text=True).stdout.split()
        for process in [pid, *children]:
            uid = int(Path(f"/proc/{process}/status").read_text().split("Uid:")[1].split()[0])
            assert uid == daemon["host_id"], f"{daemon['name']} process {process} runs as host UID {uid}"
