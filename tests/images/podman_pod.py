"""The rendered Deployment's pod as one podman pod, with explicit podman flags.

Why flags and not `podman kube play`: podman 4.3 (Debian bookworm) needs four workarounds to play our
manifests (Secret volumes need `optional: false`, ports need `hostIP`, Secret `data` is not
base64-decoded, `items` are ignored), and it silently ignores fields it does not know. Here every field
of the pod spec is either translated to the podman flag that does the same thing, listed in
`IGNORED_*` with the reason it needs no flag, or rejected with an error naming it: a field added to the
stack later cannot be dropped silently.

`translate()` is pure (tests/images/test_podman_pod.py covers it); pod_runner.PodmanPod runs the result.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Callable

# podman's default seccomp profile is what containerd/CRI-O apply for `RuntimeDefault`.
SECCOMP_RUNTIME_DEFAULT = "/usr/share/containers/seccomp.json"

IGNORED_POD_FIELDS = {
    "serviceAccountName": "no API server here; automountServiceAccountToken is false anyway",
    "nodeSelector": "scheduling", "tolerations": "scheduling", "affinity": "scheduling",
}
IGNORED_CONTAINER_FIELDS = {
    "imagePullPolicy": "images are local (--pull=never)",
    "livenessProbe": "the tests probe the same endpoints themselves",
    "readinessProbe": "the tests probe the same endpoints themselves",
    "startupProbe": "the tests wait on the same endpoints themselves",
}


class UnsupportedSpec(ValueError):
    """The pod spec has something this translation does not express; the message names the field."""


@dataclass
class VolumeSource:
    """How one pod volume exists on the host."""

    name: str
    kind: str  # "named" (PVC, emptyDir), "tmpfs" (emptyDir in memory) or "secret" (a host folder)
    podman_name: str = ""  # for "named"
    mode: int = 0o777  # permissions of the volume's root (emptyDir and a fresh PVC: 0777 / 2775)
    files: dict[str, tuple[bytes, int]] = field(default_factory=dict)  # for "secret": path -> (content, mode)
    tmpfs_size: str = ""


@dataclass
class ContainerRun:
    name: str
    argv: list[str]  # `podman create ...`
    # podman 4.3 also puts added capabilities into a non-root user's ambient set (so they are effective
    # without exec'ing anything); the kubelet's runtimes only widen the bounding set. Such containers
    # start through `setpriv` clearing the ambient and inheritable sets, which restores the kubelet's
    # semantics (a setuid-root binary then gets the added capabilities, the agent's shell does not).
    clear_ambient: bool = False
    image_at: int = -1  # index of the image in argv


@dataclass
class PodPlan:
    pod: str
    create: list[str]
    volumes: dict[str, VolumeSource]
    containers: list[ContainerRun]
    published: dict[str, int]  # port name -> host port on 127.0.0.1


def _check_known(where: str, spec: dict, handled: set[str], ignored: dict[str, str]) -> None:
    unknown = sorted(set(spec) - handled - set(ignored))
    if unknown:
        raise UnsupportedSpec(f"{where}: no podman translation for {', '.join(unknown)}")


def _quantity_bytes(quantity: str) -> int:
    units = {"Ki": 1 << 10, "Mi": 1 << 20, "Gi": 1 << 30, "Ti": 1 << 40, "k": 10**3, "M": 10**6, "G": 10**9}
    for suffix, factor in units.items():
        if quantity.endswith(suffix):
            return int(float(quantity[: -len(suffix)]) * factor)
    return int(quantity)


def _cpus(quantity: str) -> str:
    return str(int(quantity[:-1]) / 1000) if quantity.endswith("m") else quantity


def _security_flags(where: str, pod_ctx: dict, ctx: dict) -> list[str]:
    _check_known(f"{where}.securityContext", ctx, {
        "allowPrivilegeEscalation", "capabilities", "runAsUser", "runAsGroup", "runAsNonRoot",
        "seccompProfile", "readOnlyRootFilesystem", "privileged"}, {})
    merged = {**{k: v for k, v in pod_ctx.items() if k in ("runAsUser", "runAsGroup", "runAsNonRoot", "seccompProfile")}, **ctx}
    flags: list[str] = []
    if "runAsUser" in merged:
        user = str(merged["runAsUser"])
        flags.append(f"--user={user}:{merged['runAsGroup']}" if "runAsGroup" in merged else f"--user={user}")
    if merged.get("runAsNonRoot") and merged.get("runAsUser", None) in (None, 0):
        # The kubelet refuses such a container unless the image's USER is numeric and non-zero; our
        # stack always sets runAsUser, so anything else is a change this test should hear about.
        raise UnsupportedSpec(f"{where}: runAsNonRoot without a non-zero runAsUser")
    if fs_group := pod_ctx.get("fsGroup"):
        flags.append(f"--group-add={fs_group}")
    caps = merged.get("capabilities", {})
    _check_known(f"{where}.securityContext.capabilities", caps, {"drop", "add"}, {})
    flags += [f"--cap-drop={cap}" for cap in caps.get("drop", [])]
    flags += [f"--cap-add={cap}" for cap in caps.get("add", [])]
    if merged.get("allowPrivilegeEscalation") is False:
        flags.append("--security-opt=no-new-privileges")
    seccomp = merged.get("seccompProfile", {}).get("type")
    if seccomp == "RuntimeDefault":
        flags.append(f"--security-opt=seccomp={SECCOMP_RUNTIME_DEFAULT}")
    elif seccomp == "Unconfined":
        flags.append("--security-opt=seccomp=unconfined")
    elif seccomp is not None:
        raise UnsupportedSpec(f"{where}.securityContext.seccompProfile.type: {seccomp}")
    if merged.get("readOnlyRootFilesystem"):
        flags.append("--read-only")
    if merged.get("privileged"):
        flags.append("--privileged")
    return flags


def _non_root(argv: list[str]) -> bool:
    user = next((flag.split("=", 1)[1] for flag in argv if flag.startswith("--user=")), "0")
    return user.split(":")[0] not in ("0", "root")


CLEAR_AMBIENT = ["setpriv", "--inh-caps=-all", "--ambient-caps=-all", "--"]


def with_ambient_cleared(run: "ContainerRun", entrypoint: list[str], cmd: list[str]) -> list[str]:
    """`podman create` argv whose process starts through setpriv (see ContainerRun.clear_ambient);
    entrypoint and cmd are the image's."""
    flags, image, args = run.argv[:run.image_at], run.argv[run.image_at], run.argv[run.image_at + 1:]
    explicit = next((json.loads(flag.split("=", 1)[1]) for flag in flags if flag.startswith("--entrypoint=")), None)
    flags = [flag for flag in flags if not flag.startswith("--entrypoint=")]
    return flags + [f"--entrypoint={json.dumps(CLEAR_AMBIENT + (explicit or entrypoint))}", image, *(args or ([] if explicit else cmd))]


def translate(
    deployment: dict,
    image_for: Callable[[str], str],
    secrets: dict[str, dict[str, bytes]],
    host_port_for: Callable[[str, int], int],
    instance: str = "",
) -> PodPlan:
    """The podman commands that run `deployment`'s pod.

    image_for maps each container's image reference to a local image; secrets holds the data of the
    Secrets the pod mounts (name -> key -> bytes); host_port_for picks the 127.0.0.1 port a container
    port is published on. `instance` suffixes the pod's and volumes' names (parallel runs).
    """
    meta = deployment["metadata"]
    pod = f"{meta['namespace']}-{meta['name']}{instance}"
    spec = deployment["spec"]["template"]["spec"]
    _check_known("spec.template.spec", spec, {
        "containers", "volumes", "securityContext", "automountServiceAccountToken", "enableServiceLinks",
        "terminationGracePeriodSeconds"}, IGNORED_POD_FIELDS)
    if spec.get("automountServiceAccountToken", True):
        raise UnsupportedSpec("spec.template.spec.automountServiceAccountToken: a mounted token needs an API server")
    if spec.get("enableServiceLinks", True):
        raise UnsupportedSpec("spec.template.spec.enableServiceLinks: service env vars need an API server")
    pod_ctx = spec.get("securityContext", {})
    _check_known("spec.template.spec.securityContext", pod_ctx, {
        "runAsUser", "runAsGroup", "runAsNonRoot", "fsGroup", "fsGroupChangePolicy", "seccompProfile"}, {})
    fs_group = pod_ctx.get("fsGroup")

    volumes: dict[str, VolumeSource] = {}
    for index, volume in enumerate(spec.get("volumes", [])):
        where = f"spec.template.spec.volumes[{index}] ({volume['name']})"
        kinds = set(volume) - {"name"}
        if kinds == {"persistentVolumeClaim"}:
            claim = volume["persistentVolumeClaim"]["claimName"]
            # A fresh volume as the kubelet leaves it with fsGroup: group-owned, setgid, group-writable.
            volumes[volume["name"]] = VolumeSource(volume["name"], "named", f"{pod}-pvc-{claim}", 0o2775)
        elif kinds == {"emptyDir"}:
            empty = volume["emptyDir"]
            _check_known(f"{where}.emptyDir", empty, {"medium", "sizeLimit"}, {})
            if empty.get("medium") == "Memory":
                volumes[volume["name"]] = VolumeSource(volume["name"], "tmpfs", tmpfs_size=str(_quantity_bytes(empty.get("sizeLimit", "64Mi"))))
            else:
                volumes[volume["name"]] = VolumeSource(volume["name"], "named", f"{pod}-emptydir-{volume['name']}", 0o777)
        elif kinds == {"secret"}:
            source = volume["secret"]
            _check_known(f"{where}.secret", source, {"secretName", "items", "defaultMode", "optional"}, {})
            data = secrets.get(source["secretName"])
            if data is None:
                raise UnsupportedSpec(f"{where}: the test supplies no Secret {source['secretName']}")
            default_mode = source.get("defaultMode", 0o644)
            items = source.get("items") or [{"key": key, "path": key} for key in data]
            files = {}
            for item in items:
                if item["key"] not in data:
                    raise UnsupportedSpec(f"{where}: Secret {source['secretName']} has no key {item['key']}")
                files[item["path"]] = (data[item["key"]], item.get("mode", default_mode))
            volumes[volume["name"]] = VolumeSource(volume["name"], "secret", files=files, mode=0o755)
        else:
            raise UnsupportedSpec(f"{where}: no podman translation for volume type {sorted(kinds)}")

    published: dict[str, int] = {}
    create = ["podman", "pod", "create", f"--name={pod}", "--share=net,ipc,uts"]
    containers: list[ContainerRun] = []
    tmpfs_users: dict[str, list[str]] = {}
    for index, container in enumerate(spec["containers"]):
        name = container["name"]
        where = f"spec.template.spec.containers[{index}] ({name})"
        _check_known(where, container, {
            "name", "image", "command", "args", "env", "ports", "volumeMounts", "securityContext",
            "resources", "workingDir"}, IGNORED_CONTAINER_FIELDS)
        argv = ["podman", "create", f"--pod={pod}", f"--name={pod}-{name}", "--pull=never",
                f"--stop-timeout={spec.get('terminationGracePeriodSeconds', 30)}"]
        argv += _security_flags(where, pod_ctx, container.get("securityContext", {}))
        for env in container.get("env", []):
            if set(env) != {"name", "value"}:
                raise UnsupportedSpec(f"{where}.env[{env['name']}]: only literal values are translated")
            argv.append(f"--env={env['name']}={env['value']}")
        for port in container.get("ports", []):
            _check_known(f"{where}.ports", port, {"containerPort", "name", "protocol"}, {})
            host_port = host_port_for(port.get("name", str(port["containerPort"])), port["containerPort"])
            published[port.get("name", str(port["containerPort"]))] = host_port
            create.append(f"--publish=127.0.0.1:{host_port}:{port['containerPort']}")
        for mount in container.get("volumeMounts", []):
            _check_known(f"{where}.volumeMounts[{mount['name']}]", mount, {"name", "mountPath", "readOnly"}, {})
            source = volumes.get(mount["name"])
            if source is None:
                raise UnsupportedSpec(f"{where}.volumeMounts: no volume named {mount['name']}")
            read_only = mount.get("readOnly", False) or source.kind == "secret"
            if source.kind == "tmpfs":
                tmpfs_users.setdefault(source.name, []).append(name)
                argv.append(f"--mount=type=tmpfs,destination={mount['mountPath']},tmpfs-size={source.tmpfs_size}")
            elif source.kind == "named":
                argv.append(f"--volume={source.podman_name}:{mount['mountPath']}:{'ro' if read_only else 'rw'}")
            else:
                argv.append(f"--volume={{secret:{source.name}}}:{mount['mountPath']}:ro")
        resources = container.get("resources", {})
        _check_known(f"{where}.resources", resources, {"limits", "requests"}, {})
        limits = resources.get("limits", {})
        if "memory" in limits:
            argv.append(f"--memory={_quantity_bytes(limits['memory'])}")
        if "cpu" in limits:
            argv.append(f"--cpus={_cpus(limits['cpu'])}")
        if "workingDir" in container:
            argv.append(f"--workdir={container['workingDir']}")
        if "command" in container:
            argv.append(f"--entrypoint={json.dumps(container['command'])}")
        image_at = len(argv)
        argv.append(image_for(container["image"]))
        argv += container.get("args", [])
        adds_capabilities = any(flag.startswith("--cap-add=") for flag in argv[:image_at])
        containers.append(ContainerRun(name, argv, adds_capabilities and _non_root(argv[:image_at]), image_at))
    for volume, users in tmpfs_users.items():
        if len(users) > 1:
            raise UnsupportedSpec(f"volume {volume}: a Memory emptyDir shared by {', '.join(users)} (podman tmpfs mounts are per container)")
    if fs_group is None and any(v.kind != "tmpfs" for v in volumes.values()):
        raise UnsupportedSpec("spec.template.spec.securityContext.fsGroup: volumes without fsGroup are not translated")
    return PodPlan(pod, create, volumes, containers, published)
