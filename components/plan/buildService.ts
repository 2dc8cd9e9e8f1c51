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
import type { EgressRule, PlatformSpec } from "../config";
import { BUILDKIT_PORT } from "../contract/buildService";
import { AGENT_LABEL, BUILDKIT_POD_LABELS, COMPUTER_POD_LABELS } from "../contract/labels";
import { STACK_OBJECT_NAMES, serviceHost } from "../contract/names";
import { dnsRule, type PolicyPlan, tcp } from "./network";

/** BuildKit's own rootless image, pinned. */
export const BUILDKIT_IMAGE = "docker.io/moby/buildkit:v0.34.2-rootless";

export interface BuildServicePlan {
    namespace: string;
    namespaceLabels: Record<string, string>;
    /** The daemon's Deployment, Service and NetworkPolicy. */
    name: string;
    labels: Record<string, string>;
    image: string;
    port: number;
    /** The daemon's arguments: listen on every interface, without a process sandbox of its own. */
    args: string[];
    resources: { requests: { cpu: string; memory: string }; limits: { cpu: string; memory: string } };
    /** Cache volume size (an emptyDir: the cache is disposable). */
    cacheSize: string;
    /** What agents pass as `buildctl --addr` (the shell gets it as BUILDKIT_HOST). */
    address: string;
    /** Only agents' computer pods reach the daemon; it reaches DNS and registries only. */
    policy: PolicyPlan;
    /** The rule every agent's computer egress gets, so that no `network.computerEgress` rule is needed. */
    clientEgress: EgressRule;
}

export function planBuildService(
    platform: Pick<PlatformSpec, "buildService" | "network">,
): BuildServicePlan | undefined {
    if (!platform.buildService.enabled) {
        return undefined;
    }
    const namespace = platform.buildService.namespace;
    const name = STACK_OBJECT_NAMES.buildService;
    return {
        namespace,
        namespaceLabels: {
            ...BUILDKIT_POD_LABELS,
            // Rootless BuildKit needs Unconfined seccomp and AppArmor, which `baseline` forbids.
            "pod-security.kubernetes.io/enforce": "privileged",
            "pod-security.kubernetes.io/warn": "baseline",
        },
        name,
        labels: { ...BUILDKIT_POD_LABELS },
        image: BUILDKIT_IMAGE,
        port: BUILDKIT_PORT,
        // No process sandbox: build steps share the daemon's PID namespace, since a new one would need
        // privileges the pod does not have (BuildKit's rootless docs).
        args: ["--addr", `tcp://0.0.0.0:${BUILDKIT_PORT}`, "--oci-worker-no-process-sandbox"],
        resources: { requests: { cpu: "500m", memory: "1Gi" }, limits: { cpu: "4", memory: "8Gi" } },
        cacheSize: "50Gi",
        address: `tcp://${serviceHost(name, namespace)}:${BUILDKIT_PORT}`,
        policy: {
            name,
            namespace,
            labels: { ...BUILDKIT_POD_LABELS },
            podSelector: { ...BUILDKIT_POD_LABELS },
            policyTypes: ["Ingress", "Egress"],
            ingress: [
                {
                    peers: [{ namespacesLabelled: AGENT_LABEL, pods: { ...COMPUTER_POD_LABELS } }],
                    ports: tcp(BUILDKIT_PORT),
                },
            ],
            egress: [dnsRule(platform.network.dns), { ports: tcp(80, 443) }],
        },
        clientEgress: {
            namespace,
            podLabels: { ...BUILDKIT_POD_LABELS },
            ports: [BUILDKIT_PORT],
            protocol: "TCP",
        },
    };
}
