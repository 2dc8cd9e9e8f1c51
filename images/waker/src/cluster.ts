/**
 * What the waker asks of the API server, and nothing more (its Role in each agent's namespace grants
 * exactly these, on the agent's own Deployment and Secret by name): read the computer's Deployment,
 * set its replicas through the scale subresource, mark its sleep state in annotations, read the token.
 */
import {
    AppsV1Api,
    CoreV1Api,
    KubeConfig,
    PatchStrategy,
    setHeaderOptions,
    type V1Deployment,
} from "@kubernetes/client-node";

/** Annotations on the computer's Deployment (docs/runbook.md, "Sleeping computers"). */
export const ANNOTATIONS = {
    /** Set by the stack with `suspended: true`: the operator's suspend, which a call never overrides. */
    suspended: "persistent-agents.dev/suspended",
    /** Written by the waker: `awake` or `asleep`, and since when (RFC 3339). */
    sleepState: "persistent-agents.dev/sleep-state",
    sleepSince: "persistent-agents.dev/sleep-since",
    /** Written by the waker: its servers' last discovery answers (JSON), read back when it restarts. */
    discovery: "persistent-agents.dev/discovery",
} as const;

/** The waker's field manager: `kubectl get deploy -o yaml --show-managed-fields` shows it owns replicas. */
export const FIELD_MANAGER = "persistent-agents-waker";

export interface ComputerStatus {
    /** spec.replicas: 0 asleep (or suspended), 1 awake or waking. */
    replicas: number;
    /** status.readyReplicas of the current generation. */
    ready: number;
    suspendedByOperator: boolean;
    /** ANNOTATIONS.sleepState as the last waker left it ("awake", "asleep"), if any. */
    sleepState?: string;
    /** The discovery answers the waker saved (ANNOTATIONS.discovery), if any. */
    discovery?: string;
}

/** One agent's computer as the API server has it. */
export interface ComputerApi {
    status(): Promise<ComputerStatus>;
    scale(replicas: 0 | 1): Promise<void>;
    markSleepState(state: "awake" | "asleep", since: Date): Promise<void>;
    saveDiscovery(text: string): Promise<void>;
    /** The agent's current MCP bearer token (the Secret ESO keeps in sync with Vault). */
    token(): Promise<string>;
}

export interface ComputerRef {
    namespace: string;
    deployment: string;
    token: { secret: string; key: string };
}

export function statusOf(deployment: V1Deployment): ComputerStatus {
    const generationSeen = (deployment.status?.observedGeneration ?? 0) >= (deployment.metadata?.generation ?? 0);
    const status: ComputerStatus = {
        replicas: deployment.spec?.replicas ?? 1,
        ready: generationSeen ? (deployment.status?.readyReplicas ?? 0) : 0,
        suspendedByOperator: deployment.metadata?.annotations?.[ANNOTATIONS.suspended] === "true",
    };
    const annotations = deployment.metadata?.annotations ?? {};
    if (annotations[ANNOTATIONS.sleepState] !== undefined) {
        status.sleepState = annotations[ANNOTATIONS.sleepState];
    }
    if (annotations[ANNOTATIONS.discovery] !== undefined) {
        status.discovery = annotations[ANNOTATIONS.discovery];
    }
    return status;
}

/** The API server's side, through the maintained client (in the cluster: the pod's ServiceAccount). */
export class KubernetesComputers {
    private readonly apps: AppsV1Api;
    private readonly core: CoreV1Api;

    constructor(config: KubeConfig = defaultConfig()) {
        this.apps = config.makeApiClient(AppsV1Api);
        this.core = config.makeApiClient(CoreV1Api);
    }

    computer(ref: ComputerRef): ComputerApi {
        const { namespace, deployment: name } = ref;
        const merge = setHeaderOptions("Content-Type", PatchStrategy.MergePatch);
        return {
            status: async () => statusOf(await this.apps.readNamespacedDeployment({ name, namespace })),
            scale: async (replicas) => {
                await this.apps.patchNamespacedDeploymentScale(
                    { name, namespace, fieldManager: FIELD_MANAGER, body: { spec: { replicas } } },
                    merge,
                );
            },
            markSleepState: async (state, since) => {
                const annotations = { [ANNOTATIONS.sleepState]: state, [ANNOTATIONS.sleepSince]: since.toISOString() };
                await this.apps.patchNamespacedDeployment(
                    { name, namespace, fieldManager: FIELD_MANAGER, body: { metadata: { annotations } } },
                    merge,
                );
            },
            saveDiscovery: async (text) => {
                const annotations = { [ANNOTATIONS.discovery]: text };
                await this.apps.patchNamespacedDeployment(
                    { name, namespace, fieldManager: FIELD_MANAGER, body: { metadata: { annotations } } },
                    merge,
                );
            },
            token: async () => {
                const secret = await this.core.readNamespacedSecret({ name: ref.token.secret, namespace });
                const encoded = secret.data?.[ref.token.key];
                if (!encoded) {
                    throw new Error(`secret ${namespace}/${ref.token.secret} has no key ${ref.token.key}`);
                }
                return Buffer.from(encoded, "base64").toString("utf8").trim();
            },
        };
    }
}

/** In a pod: its ServiceAccount; elsewhere (tests, a person's shell): KUBECONFIG. */
function defaultConfig(): KubeConfig {
    const config = new KubeConfig();
    config.loadFromDefault();
    return config;
}
