/**
 * The build service's objects as its plans say (plan/buildService.ts): per stack the namespace, its
 * default-deny policy and the SecretStore the daemons' certificates come through; per agent the daemon's
 * ExternalSecret (its TLS files), Deployment, Service and NetworkPolicy.
 */
import {
    BUILDKIT_PORT,
    BUILDKIT_PROBE_ADDRESS,
    BUILDKIT_ROOT,
    BUILDKIT_SOCKET_DIR,
    DAEMON_TLS_DIR,
} from "../contract/buildService";
import type { BuildDaemonPlan, BuildServicePlan } from "../plan/types";
import { networkPolicy } from "./networkPolicy";
import { type ImageRefs, imageRef, type KubernetesObject, namespaceObject, type Rendered } from "./objects";
import { type VaultAccessObjects, vaultAccessObjects } from "./vaultAccess";

export interface BuildServiceObjects {
    namespace: Rendered;
    /** In the namespace: the default-deny policy. */
    inNamespace: Rendered[];
    /** The namespace's own SecretStore and Vault policy and role (none with the platform's ClusterSecretStore). */
    vaultAccess?: VaultAccessObjects;
}

export function buildServiceObjects(plan: BuildServicePlan): BuildServiceObjects {
    return {
        namespace: namespaceObject(plan.namespace, plan.namespaceLabels),
        inNamespace: [{ key: "default-deny", object: networkPolicy(plan.defaultDeny) }],
        vaultAccess: vaultAccessObjects(plan.vaultAccess),
    };
}

/** One agent's daemon; keys start with `buildkitd-` (resources `<agent>-buildkitd-…`). */
export function buildDaemonObjects(daemon: BuildDaemonPlan, images: ImageRefs): Rendered[] {
    const metadata = { name: daemon.name, namespace: daemon.namespace, labels: daemon.labels };
    const probe = {
        exec: { command: ["buildctl", "--addr", BUILDKIT_PROBE_ADDRESS, "debug", "workers"] },
        periodSeconds: 30,
    };
    const security = daemon.security;
    const files = Object.entries(daemon.tls.files);
    const externalSecret: KubernetesObject = {
        apiVersion: "external-secrets.io/v1",
        kind: "ExternalSecret",
        metadata: { name: daemon.tls.secretName, namespace: daemon.namespace, labels: daemon.labels },
        spec: {
            refreshInterval: "1h",
            secretStoreRef: { kind: daemon.tls.store.kind, name: daemon.tls.store.name },
            target: {
                name: daemon.tls.secretName,
                creationPolicy: "Owner",
                template: {
                    engineVersion: "v2",
                    type: "Opaque",
                    metadata: { labels: daemon.labels },
                    data: Object.fromEntries(files.map(([part, { file }]) => [file, `{{ .${part} }}`])),
                },
            },
            data: files.map(([part, { vaultField }]) => ({
                secretKey: part,
                remoteRef: { key: daemon.tls.vaultPath, property: vaultField },
            })),
        },
    };
    return [
        { key: "buildkitd-tls", object: externalSecret },
        {
            key: "buildkitd",
            object: {
                apiVersion: "apps/v1",
                kind: "Deployment",
                metadata,
                spec: {
                    replicas: 1,
                    // One daemon per agent, its state on an emptyDir: never two at once.
                    strategy: { type: "Recreate" },
                    selector: { matchLabels: daemon.labels },
                    template: {
                        metadata: { labels: daemon.labels },
                        spec: {
                            ...(security.hostUsers ? {} : { hostUsers: false }),
                            automountServiceAccountToken: false,
                            enableServiceLinks: false,
                            containers: [
                                {
                                    name: "buildkitd",
                                    image: imageRef(images, "buildkitd", `agent ${daemon.agent}'s build daemon`),
                                    command: daemon.command,
                                    args: daemon.args,
                                    ports: [{ name: "buildkit", containerPort: BUILDKIT_PORT }],
                                    readinessProbe: probe,
                                    livenessProbe: { ...probe, failureThreshold: 6 },
                                    // With the sandbox every capability is the pod's user namespace's, not the node's.
                                    securityContext: {
                                        runAsUser: security.runAsUser,
                                        runAsGroup: security.runAsUser,
                                        runAsNonRoot: security.runAsUser !== 0,
                                        allowPrivilegeEscalation: security.allowPrivilegeEscalation,
                                        capabilities: { drop: ["ALL"], add: [...security.addCapabilities] },
                                        seccompProfile: { type: "Unconfined" },
                                        appArmorProfile: { type: "Unconfined" },
                                    },
                                    // rootlesskit keeps its state in XDG_RUNTIME_DIR.
                                    env: [
                                        ...(daemon.processSandbox
                                            ? []
                                            : [{ name: "XDG_RUNTIME_DIR", value: BUILDKIT_SOCKET_DIR }]),
                                        ...daemon.proxyEnv.map((env) => ({ ...env })),
                                    ],
                                    resources: structuredClone(daemon.resources),
                                    volumeMounts: [
                                        { name: "tls", mountPath: DAEMON_TLS_DIR, readOnly: true },
                                        { name: "state", mountPath: BUILDKIT_ROOT },
                                        { name: "run", mountPath: BUILDKIT_SOCKET_DIR },
                                    ],
                                },
                            ],
                            volumes: [
                                {
                                    name: "tls",
                                    secret: {
                                        secretName: daemon.tls.secretName,
                                        items: files.map(([, { file }]) => ({ key: file, path: file })),
                                    },
                                },
                                { name: "state", emptyDir: { sizeLimit: daemon.stateSize } },
                                { name: "run", emptyDir: { medium: "Memory", sizeLimit: "1Mi" } },
                            ],
                        },
                    },
                },
            },
        },
        {
            key: "buildkitd-service",
            object: {
                apiVersion: "v1",
                kind: "Service",
                metadata,
                spec: {
                    selector: daemon.labels,
                    ports: [{ name: "buildkit", port: BUILDKIT_PORT, targetPort: "buildkit" }],
                },
            },
        },
        { key: "buildkitd-policy", object: networkPolicy(daemon.policy) },
    ];
}
