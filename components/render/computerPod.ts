/**
 * Renders the computer pod of an agent's plan into a Kubernetes PodSpec (see docs/pod-contract.md).
 * Which containers, ports, mounts and variables there are is the plan's decision (components/plan).
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { AGENT_UID, ComputerPlan, ContainerPlan, ImageKey, ProbePlan, VolumePlan } from "../plan";

type Container = k8s.types.input.core.v1.Container;
type Volume = k8s.types.input.core.v1.Volume;
type Probe = k8s.types.input.core.v1.Probe;

/** The image reference for each image the plan names (built by components/resources/images.ts, or prebuilt). */
export type ComputerImages = Partial<Record<ImageKey, pulumi.Input<string>>>;

export function computerPodSpec(
    agent: string,
    computer: ComputerPlan,
    images: ComputerImages,
): k8s.types.input.core.v1.PodSpec {
    return {
        runtimeClassName: computer.runtimeClassName,
        serviceAccountName: computer.name,
        automountServiceAccountToken: false,
        enableServiceLinks: false,
        terminationGracePeriodSeconds: 30,
        securityContext: {
            runAsUser: AGENT_UID,
            runAsGroup: AGENT_UID,
            runAsNonRoot: true,
            fsGroup: AGENT_UID,
            fsGroupChangePolicy: "OnRootMismatch",
            seccompProfile: { type: "RuntimeDefault" },
        },
        containers: computer.containers.map((container) => renderContainer(agent, container, images)),
        volumes: computer.volumes.map(renderVolume),
    };
}

function renderContainer(agent: string, container: ContainerPlan, images: ComputerImages): Container {
    const image = images[container.image];
    if (image === undefined) {
        throw new Error(`agent ${agent}: no image for the ${container.name} container (${container.image})`);
    }
    return {
        name: container.name,
        image,
        imagePullPolicy: "IfNotPresent",
        env: container.env.map(({ name, value }) => ({ name, value })),
        ports: container.ports.map(({ name, port }) => ({ name, containerPort: port })),
        volumeMounts: container.mounts.map(({ volume, path, readOnly }) =>
            readOnly ? { name: volume, mountPath: path, readOnly: true } : { name: volume, mountPath: path },
        ),
        startupProbe: renderProbe(container.probes.startup),
        readinessProbe: renderProbe(container.probes.readiness),
        livenessProbe: renderProbe(container.probes.liveness),
        resources: { requests: { ...container.resources.requests }, limits: { ...container.resources.limits } },
        securityContext: containerSecurity(container.allowPrivilegeEscalation, container.addCapabilities),
    };
}

function renderProbe(probe: ProbePlan): Probe {
    const check =
        "tcpPort" in probe.check
            ? { tcpSocket: { port: probe.check.tcpPort } }
            : { httpGet: { path: probe.check.httpPath, port: probe.check.port } };
    return {
        ...check,
        periodSeconds: probe.periodSeconds,
        ...(probe.failureThreshold === undefined ? {} : { failureThreshold: probe.failureThreshold }),
        ...(probe.timeoutSeconds === undefined ? {} : { timeoutSeconds: probe.timeoutSeconds }),
    };
}

function renderVolume(volume: VolumePlan): Volume {
    const source = volume.source;
    if ("claim" in source) {
        return { name: volume.name, persistentVolumeClaim: { claimName: source.claim } };
    }
    if ("emptyDir" in source) {
        return { name: volume.name, emptyDir: { ...source.emptyDir } };
    }
    if ("configMap" in source) {
        // Same as a Secret key: a directory mount, so that a changed value appears in place.
        return {
            name: volume.name,
            configMap: {
                name: source.configMap.name,
                items: [{ key: source.configMap.key, path: source.configMap.file }],
            },
        };
    }
    // One key as one file, mounted as a directory (never subPath) so that a rotated value appears in place.
    return {
        name: volume.name,
        secret: {
            secretName: source.secret.name,
            items: [{ key: source.secret.key, path: source.secret.file }],
            defaultMode: 0o440,
        },
    };
}

/**
 * Non-root, no capabilities, default seccomp. Only an operator's `sudo: true` lets the setuid sudo
 * binary work (no_new_privs otherwise stops it, whatever the image's sudoers say).
 */
function containerSecurity(allowPrivilegeEscalation: boolean, add: string[]): k8s.types.input.core.v1.SecurityContext {
    return {
        allowPrivilegeEscalation,
        capabilities: add.length > 0 ? { drop: ["ALL"], add: [...add] } : { drop: ["ALL"] },
        runAsNonRoot: true,
        runAsUser: AGENT_UID,
        runAsGroup: AGENT_UID,
        seccompProfile: { type: "RuntimeDefault" },
    };
}
