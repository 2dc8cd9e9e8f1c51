/**
 * The agent's computer (see docs/pod-contract.md): its claims, its ServiceAccount, its pod (a Deployment
 * of one) and the Service in front of it. Which containers, ports, mounts and variables there are is the
 * plan's decision (plan/containers.ts).
 */
import type * as k8s from "@pulumi/kubernetes";
import { AGENT_UID } from "../contract/pod";
import type { ClaimPlan, ComputerPlan, ContainerPlan, ProbePlan, VolumePlan } from "../plan/types";
import {
    type Container,
    type Deployment,
    type ImageRefs,
    imageRef,
    type PersistentVolumeClaim,
    type PodSpec,
    type Rendered,
    type Service,
    type ServiceAccount,
} from "./objects";

type Volume = k8s.types.input.core.v1.Volume;
type Probe = k8s.types.input.core.v1.Probe;

export interface ComputerObjects {
    claims: Rendered<PersistentVolumeClaim>[];
    serviceAccount: Rendered<ServiceAccount>;
    deployment: Rendered<Deployment>;
    service: Rendered<Service>;
}

export function computerObjects(
    agent: string,
    namespace: string,
    computer: ComputerPlan,
    images: ImageRefs,
): ComputerObjects {
    const metadata = { name: computer.name, namespace, labels: computer.labels };
    return {
        claims: computer.claims.map((claim) => ({ key: claim.role, object: claimObject(namespace, claim) })),
        serviceAccount: {
            key: "computer",
            object: { apiVersion: "v1", kind: "ServiceAccount", metadata, automountServiceAccountToken: false },
        },
        deployment: {
            key: "computer",
            object: {
                apiVersion: "apps/v1",
                kind: "Deployment",
                metadata: Object.keys(computer.annotations).length
                    ? { ...metadata, annotations: computer.annotations }
                    : metadata,
                spec: {
                    // Absent when the waker owns it: server-side apply then leaves a sleep or a wake alone.
                    ...(computer.replicas === undefined ? {} : { replicas: computer.replicas }),
                    // ReadWriteOnce volumes: the old pod must let go of them before the new one starts.
                    strategy: { type: "Recreate" },
                    selector: { matchLabels: computer.selector },
                    template: {
                        metadata: { labels: computer.podLabels },
                        spec: computerPodSpec(agent, computer, images),
                    },
                },
            },
        },
        service: {
            key: "computer",
            object: {
                apiVersion: "v1",
                kind: "Service",
                metadata,
                spec: {
                    type: "ClusterIP",
                    selector: computer.selector,
                    ports: computer.servicePorts.map(({ name, port, targetPort }) => ({
                        name,
                        port,
                        targetPort,
                        protocol: "TCP",
                    })),
                },
            },
        },
    };
}

function claimObject(namespace: string, claim: ClaimPlan): PersistentVolumeClaim {
    return {
        apiVersion: "v1",
        kind: "PersistentVolumeClaim",
        metadata: { name: claim.name, namespace, labels: claim.labels, annotations: claim.annotations },
        spec: {
            accessModes: ["ReadWriteOnce"],
            storageClassName: claim.storageClass,
            resources: { requests: { storage: claim.size } },
            dataSource: claim.dataSource,
        },
    };
}

function computerPodSpec(agent: string, computer: ComputerPlan, images: ImageRefs): PodSpec {
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

function renderContainer(agent: string, container: ContainerPlan, images: ImageRefs): Container {
    return {
        name: container.name,
        image: imageRef(images, container.image, `agent ${agent}, the ${container.name} container`),
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
            items: source.secret.items.map(({ key, file }) => ({ key, path: file })),
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
