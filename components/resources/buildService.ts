/**
 * The agents' image builds: one BuildKit daemon (rootless) in a namespace of its own, reachable only
 * from agents' computer pods, which build and push with `buildctl` (in the shell image) and their own
 * registry credentials (the mounted `config.json`; buildctl sends them to the daemon per build).
 *
 * Why a daemon and not buildah in the agent's pod: building a real base image needs user namespaces
 * (newuidmap, a setuid binary), which the agent's pod forbids on purpose (no privilege escalation, all
 * capabilities dropped). Rootless BuildKit needs an unconfined seccomp and AppArmor profile and runs its
 * containers in its own user namespace: that weakening is confined to this one namespace
 * (Pod Security `privileged`), where nothing else runs and only the daemon's port is reachable.
 *
 * What a shared daemon does not isolate: agents share its build cache (one agent's cached layers can
 * be reused by another's identical build step) and can see that other builds run. Builds do not see
 * each other's build contexts, secrets or registry credentials (each comes over the client session).
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

/** BuildKit's own rootless image, pinned; its daemon listens on this port. */
export const BUILDKIT_IMAGE = "docker.io/moby/buildkit:v0.34.2-rootless";
export const BUILDKIT_PORT = 1234;
/** Label every agent namespace carries (components/plan); the daemon admits only those. */
const AGENT_NAMESPACE_LABEL = "persistent-agents.dev/agent";
/** The daemon pods' labels: its Service selects them, and agents' egress (components/plan) admits them. */
export const BUILDKIT_POD_LABELS = {
    "app.kubernetes.io/name": "buildkitd",
    "app.kubernetes.io/component": "build-service",
    "app.kubernetes.io/managed-by": "pulumi",
};
const LABELS = BUILDKIT_POD_LABELS;
/** The daemon's Deployment, Service and NetworkPolicy. */
const BUILDKIT_SERVICE_NAME = "buildkitd";

/** What agents pass as `buildctl --addr` (or set as BUILDKIT_HOST): the daemon's Service in `namespace`. */
export function buildServiceAddress(namespace: string): string {
    return `tcp://${BUILDKIT_SERVICE_NAME}.${namespace}.svc.cluster.local:${BUILDKIT_PORT}`;
}

export interface BuildServiceArgs {
    /** Namespace of the daemon, e.g. agent-builds. */
    namespace: string;
    /** The daemon's image (default BUILDKIT_IMAGE). */
    image?: string;
    /** Pods the daemon serves: their labels (the agents' computer pods). */
    clientPodLabels: Record<string, string>;
    /** Cache volume size (an emptyDir: the cache is disposable). */
    cacheSize?: string;
}

export class BuildService extends pulumi.ComponentResource {
    /** What agents pass as `buildctl --addr` (or set as BUILDKIT_HOST). */
    readonly address: string;

    constructor(name: string, args: BuildServiceArgs, opts?: pulumi.ComponentResourceOptions) {
        super("persistent-agents:index:BuildService", name, {}, opts);
        const namespace = new k8s.core.v1.Namespace(
            `${name}-namespace`,
            {
                metadata: {
                    name: args.namespace,
                    labels: {
                        ...LABELS,
                        // Rootless BuildKit needs Unconfined seccomp and AppArmor, which `baseline` forbids.
                        "pod-security.kubernetes.io/enforce": "privileged",
                        "pod-security.kubernetes.io/warn": "baseline",
                    },
                },
            },
            { parent: this },
        );
        const ns = namespace.metadata.name;

        new k8s.apps.v1.Deployment(
            `${name}-buildkitd`,
            {
                metadata: { name: BUILDKIT_SERVICE_NAME, namespace: ns, labels: LABELS },
                spec: {
                    replicas: 1,
                    selector: { matchLabels: LABELS },
                    template: {
                        metadata: { labels: LABELS },
                        spec: {
                            automountServiceAccountToken: false,
                            enableServiceLinks: false,
                            containers: [
                                {
                                    name: "buildkitd",
                                    image: args.image ?? BUILDKIT_IMAGE,
                                    // No process sandbox: build steps share the daemon's PID namespace, since a
                                    // new one would need privileges the pod does not have (BuildKit's rootless docs).
                                    args: [
                                        "--addr",
                                        `tcp://0.0.0.0:${BUILDKIT_PORT}`,
                                        "--oci-worker-no-process-sandbox",
                                    ],
                                    ports: [{ name: "buildkit", containerPort: BUILDKIT_PORT }],
                                    readinessProbe: {
                                        exec: { command: ["buildctl", "debug", "workers"] },
                                        periodSeconds: 30,
                                    },
                                    livenessProbe: {
                                        exec: { command: ["buildctl", "debug", "workers"] },
                                        periodSeconds: 30,
                                        failureThreshold: 6,
                                    },
                                    securityContext: {
                                        runAsUser: 1000,
                                        runAsGroup: 1000,
                                        runAsNonRoot: true,
                                        seccompProfile: { type: "Unconfined" },
                                        appArmorProfile: { type: "Unconfined" },
                                    },
                                    resources: {
                                        requests: { cpu: "500m", memory: "1Gi" },
                                        limits: { cpu: "4", memory: "8Gi" },
                                    },
                                    volumeMounts: [{ name: "cache", mountPath: "/home/user/.local/share/buildkit" }],
                                },
                            ],
                            volumes: [{ name: "cache", emptyDir: { sizeLimit: args.cacheSize ?? "50Gi" } }],
                        },
                    },
                },
            },
            { parent: this },
        );

        const service = new k8s.core.v1.Service(
            `${name}-service`,
            {
                metadata: { name: BUILDKIT_SERVICE_NAME, namespace: ns, labels: LABELS },
                spec: { selector: LABELS, ports: [{ name: "buildkit", port: BUILDKIT_PORT, targetPort: "buildkit" }] },
            },
            { parent: this },
        );

        // Only agents' computer pods reach the daemon; it reaches registries (and DNS) only.
        new k8s.networking.v1.NetworkPolicy(
            `${name}-policy`,
            {
                metadata: { name: BUILDKIT_SERVICE_NAME, namespace: ns, labels: LABELS },
                spec: {
                    podSelector: { matchLabels: LABELS },
                    policyTypes: ["Ingress", "Egress"],
                    ingress: [
                        {
                            from: [
                                {
                                    namespaceSelector: {
                                        matchExpressions: [{ key: AGENT_NAMESPACE_LABEL, operator: "Exists" }],
                                    },
                                    podSelector: { matchLabels: args.clientPodLabels },
                                },
                            ],
                            ports: [{ port: BUILDKIT_PORT, protocol: "TCP" }],
                        },
                    ],
                    egress: [
                        {
                            to: [
                                {
                                    namespaceSelector: {
                                        matchLabels: { "kubernetes.io/metadata.name": "kube-system" },
                                    },
                                    podSelector: { matchLabels: { "k8s-app": "kube-dns" } },
                                },
                            ],
                            ports: [
                                { port: 53, protocol: "UDP" },
                                { port: 53, protocol: "TCP" },
                            ],
                        },
                        {
                            ports: [
                                { port: 80, protocol: "TCP" },
                                { port: 443, protocol: "TCP" },
                            ],
                        },
                    ],
                },
            },
            { parent: this },
        );

        this.address = buildServiceAddress(args.namespace);
        this.registerOutputs({ address: this.address, service: service.metadata.name });
    }
}
