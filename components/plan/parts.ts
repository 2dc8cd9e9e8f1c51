/**
 * The plan types of an agent's parts (computer, credentials, Vault access, kagent, quota): what the
 * feature planners build on. plan/types.ts re-exports them with the agent's and the stack's plans.
 */
import type { ContainerResources, ImageName, ModelSpec, ResourceFigures } from "../config";
import type { ContainerRole } from "../contract/pod";

export interface PortPlan {
    /** The container port's name (Services and probes refer to it). */
    name: string;
    port: number;
    /** mcp: kagent calls it; vnc/browser: viewers open it; metrics: Prometheus scrapes it. */
    purpose: "mcp" | "vnc" | "browser" | "metrics";
}

export interface MountPlan {
    volume: string;
    path: string;
    readOnly: boolean;
}

export interface EnvPlan {
    name: string;
    value: string;
}

export interface ProbePlan {
    check: { tcpPort: string } | { httpPath: string; port: string };
    periodSeconds: number;
    failureThreshold?: number;
    timeoutSeconds?: number;
}

export interface ContainerPlan {
    role: ContainerRole;
    /** The container's name in the pod (docs/pod-contract.md). */
    name: string;
    image: ImageName;
    ports: PortPlan[];
    env: EnvPlan[];
    mounts: MountPlan[];
    resources: ContainerResources;
    probes: { startup: ProbePlan; readiness: ProbePlan; liveness: ProbePlan };
    /** Only an operator's `sudo: true` lets the setuid sudo binary work. */
    allowPrivilegeEscalation: boolean;
    /** Capabilities added back after dropping all (only for sudo: what sudo itself needs). */
    addCapabilities: string[];
}

export type VolumeSource =
    | { claim: string }
    | { emptyDir: { medium?: "Memory"; sizeLimit?: string } }
    /** One Secret key as one file; the volume is mounted as a directory so that rotations show in place. */
    | { secret: { name: string; items: { key: string; file: string }[] } }
    /** One ConfigMap key as one file, mounted as a directory too (the browser view's mode). */
    | { configMap: { name: string; key: string; file: string } };

export interface VolumePlan {
    name: string;
    source: VolumeSource;
}

export interface ClaimPlan {
    role: "workspace" | "config";
    name: string;
    labels: Record<string, string>;
    /** States the retention on the claim itself (the policy pack cannot see retainOnDelete in a real preview). */
    annotations: Record<string, string>;
    size: string;
    storageClass?: string;
    /** A VolumeSnapshot the claim is created from (`storage.restoreFrom`). */
    dataSource?: { apiGroup: string; kind: string; name: string };
}

export interface NamespacePlan {
    name: string;
    /** The agent's labels and its Pod Security Admission level. */
    labels: Record<string, string>;
    /** Keep the namespace (and so its claims) when the agent leaves the config. */
    retainOnDelete: boolean;
}

export interface ComputerPlan {
    /** Deployment, Service and ServiceAccount. */
    name: string;
    /** Undefined when the waker owns it (the agent sleeps on idle): the program then never sets it. */
    replicas: 0 | 1 | undefined;
    /** On the Deployment: the operator's suspend, for the waker (plan/waker.ts). */
    annotations: Record<string, string>;
    labels: Record<string, string>;
    /** The pod's labels: `selector` plus `labels` plus the sudo opt-in marker. */
    podLabels: Record<string, string>;
    selector: Record<string, string>;
    runtimeClassName?: string;
    containers: ContainerPlan[];
    volumes: VolumePlan[];
    /** The Service's ports: every container port but the metrics ones (Prometheus scrapes the pod). */
    servicePorts: { name: string; port: number; targetPort: string }[];
    claims: ClaimPlan[];
    /** Keep the claims when the agent leaves the config. */
    retainOnDelete: boolean;
    /** The images must have passwordless sudo for this computer (the operator's `sudo: true`). */
    passwordlessSudo: boolean;
}

export interface McpServerPlan {
    /** Suffix of the Pulumi resource name (`<agent>-<key>`). */
    key: string;
    /** The RemoteMCPServer's name. */
    name: string;
    description: string;
    /** The container serving it, and its port. */
    container: ContainerRole;
    port: number;
    path: string;
    url: string;
    timeout: string;
    toolNames: readonly string[];
}

/** One value the ExternalSecret fetches from Vault, as a template variable. */
export interface FetchedValue {
    variable: string;
    vaultPath: string;
    vaultField: string;
}

/** One value the stack writes to the agent's generated Vault path. */
export type WrittenValue =
    | { vaultField: string; generated: { resourceKey: string; length: number; rotation: number } }
    | { vaultField: string; fromConfig: string }
    /** A part of the agent's build client certificates, issued by the stack (resources/buildCertificates.ts). */
    | { vaultField: string; certificate: BuildClientPart };

/** The client side of an agent's build certificates: its CA's certificate, its own certificate and key. */
export type BuildClientPart = "ca" | "cert" | "key";

export interface CredentialsPlan {
    /** The Secret (and the ExternalSecret writing it). */
    secretName: string;
    namespace: string;
    /** The store the ExternalSecret reads through (plan/vaultAccess.ts). */
    store: VaultAccessPlan["store"];
    /** Relative to the KV mount. */
    vaultPaths: { provided: string; generated: string };
    fetched: FetchedValue[];
    /** The Secret's keys, each a Go template (ESO engine v2) over the fetched variables. */
    secretKeys: Record<string, string>;
    /** What the stack writes to the generated path (nothing with `platform.vault.writeSecrets: false`). */
    vaultWrite?: { mount: string; path: string; values: WrittenValue[] };
    /** ESO reconciles on annotation changes: a rotation fetches the new values at once. */
    rotationAnnotation: string;
    labels: Record<string, string>;
}

export interface VaultAccessPlan {
    /** Per-agent SecretStore, or the platform's shared ClusterSecretStore. */
    store: { kind: "SecretStore" | "ClusterSecretStore"; name: string };
    /** With a per-agent store: its ServiceAccount, how it logs in, and (when the stack writes to Vault) the policy and role. */
    perAgent?: {
        namespace: string;
        labels: Record<string, string>;
        /** The ServiceAccount ESO logs in with; no pod runs as it. */
        serviceAccount: string;
        vault: { server: string; mount: string; authMount: string; audience: string };
        roleName: string;
        policyAndRole?: { policyName: string; policy: string; tokenTtl: number; tokenMaxTtl: number };
    };
}

export interface KagentPlan {
    agentName: string;
    modelConfigName: string;
    namespace: string;
    description: string;
    systemMessage: string;
    model: ModelSpec;
    /** Kagent's agent runtime for the Agent (plan/kagent.ts says why python). */
    runtime: string;
    replicas: 0 | 1;
    resources: ContainerResources;
    /** What kagent's agent pod needs to pass the namespace's Pod Security level. */
    podSecurity: {
        podSecurityContext: Record<string, unknown>;
        securityContext: Record<string, unknown>;
    };
    labels: Record<string, string>;
    /** Changing it on the Agent makes kagent re-render it with the current MCP token. */
    tokenGeneration: string;
    /** The agent's Secret, the key the ModelConfig reads the API key from, and the one for the MCP header. */
    secretName: string;
    modelKeySecretKey: string;
    authorizationSecretKey: string;
}

export interface QuotaPlan {
    quotaName: string;
    limitRangeName: string;
    namespace: string;
    labels: Record<string, string>;
    hard: Record<string, string>;
    /** The sums behind `hard`, in bytes and cores, for the config's check against the API server's bound. */
    totals: { requests: ResourceFigures<number>; limits: ResourceFigures<number>; storage: number };
    /** Defaults for containers that set none (kagent's figures), and the largest container and claim. */
    containerDefaults: ContainerResources;
    containerMax: ResourceFigures;
    claimMax: string;
}
