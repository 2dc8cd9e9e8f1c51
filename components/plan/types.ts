/**
 * An agent's plan: everything the stack decides about one agent, decided once by `planAgent` from the
 * validated spec and the platform. The builders render it into resources and decide nothing themselves
 * (as kagent's translator compiles an Agent into `AgentManifestInputs` before `BuildManifest`).
 * Plain data only: the golden files (tests/golden) show it per representative config.
 */
import type { BackedUpAgent, BackupPlatform } from "../render/backup";
import type {
    ContainerResources,
    ImageName,
    ModelSpec,
    NetworkSpec,
    PodSecurityLevel,
    ResourceFigures,
} from "../config";
import type { BrowserViewPlan } from "../render/browserView";
import type { MonitoredAgent, MonitoringSettings } from "../render/monitoring";
import type { EgressProxyPlan } from "../render/egressProxy";

/** The containers a computer pod may have. */
export type ContainerRole = "desktop" | "computerControl" | "shell" | "browserView";
/** Which image a container runs: one the stack builds, or the browser view's. */
export type ImageKey = ImageName | "browserView";

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
    image: ImageKey;
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
    | { secret: { name: string; key: string; file: string } }
    /** One ConfigMap key as one file, mounted as a directory too (the browser view's mode). */
    | { configMap: { name: string; key: string; file: string } };

export interface VolumePlan {
    name: string;
    source: VolumeSource;
}

export interface ClaimPlan {
    role: "workspace" | "config";
    name: string;
    size: string;
    storageClass?: string;
    /** A VolumeSnapshot the claim is created from (`storage.restoreFrom`). */
    dataSource?: { apiGroup: string; kind: string; name: string };
}

export interface ComputerPlan {
    /** Deployment, Service and ServiceAccount. */
    name: string;
    replicas: 0 | 1;
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
    /** Keep the namespace and claims when the agent leaves the config. */
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
    | { vaultField: string; fromConfig: string };

export interface CredentialsPlan {
    /** The Secret (and the ExternalSecret writing it). */
    secretName: string;
    /** Relative to the KV mount. */
    vaultPaths: { provided: string; generated: string };
    fetched: FetchedValue[];
    /** The Secret's keys, each a Go template (ESO engine v2) over the fetched variables. */
    secretKeys: Record<string, string>;
    written: WrittenValue[];
    /** ESO reconciles on annotation changes: a rotation fetches the new values at once. */
    rotationAnnotation: string;
    labels: Record<string, string>;
}

export interface VaultAccessPlan {
    /** Per-agent SecretStore, or the platform's shared ClusterSecretStore. */
    store: { kind: "SecretStore"; name: string } | { kind: "ClusterSecretStore"; name: string };
    /** Policy and Kubernetes-auth role (only with a per-agent store). */
    policyName: string;
    roleName: string;
    policy: string;
    serviceAccount: string;
    labels: Record<string, string>;
}

export interface KagentPlan {
    agentName: string;
    modelConfigName: string;
    description: string;
    systemMessage: string;
    model: ModelSpec;
    replicas: 0 | 1;
    resources: ContainerResources;
    labels: Record<string, string>;
    /** Changing it on the Agent makes kagent re-render it with the current MCP token. */
    tokenGeneration: string;
    /** The Secret key the ModelConfig reads the API key from, and the one for the MCP header. */
    modelKeySecretKey: string;
    authorizationSecretKey: string;
}

export interface NetworkPlan {
    labels: Record<string, string>;
    policyNames: {
        defaultDeny: string;
        computerMcp: string;
        computerEgress: string;
        kagentAgent: string;
        computerVnc: string;
    };
    /** Ports kagent's pod and controller call on the computer. */
    mcpPorts: number[];
    /** Ports viewers may open (VNC, the browser view); none without a desktop. */
    viewerPorts: number[];
    rules: NetworkSpec;
    computerSelector: Record<string, string>;
    kagentPodSelector: Record<string, string>;
}

export interface QuotaPlan {
    quotaName: string;
    limitRangeName: string;
    labels: Record<string, string>;
    hard: Record<string, string>;
    /** Defaults for containers that set none (kagent's figures), and the largest container and claim. */
    containerDefaults: ContainerResources;
    containerMax: ResourceFigures;
    claimMax: string;
}

/** Monitoring and backups (components/render/monitoring.ts, components/render/backup.ts render them). */
export interface OperationsPlan {
    monitoring?: { agent: MonitoredAgent; settings: MonitoringSettings };
    /** The backup pod runs the shell image. */
    backup?: { agent: BackedUpAgent; platform: BackupPlatform; image: ImageKey };
}

export interface AgentPlan {
    agent: string;
    namespace: string;
    namespaceLabels: Record<string, string>;
    podSecurity: PodSecurityLevel;
    images: ImageKey[];
    computer: ComputerPlan;
    mcpServers: McpServerPlan[];
    credentials: CredentialsPlan;
    vaultAccess: VaultAccessPlan;
    kagent: KagentPlan;
    network: NetworkPlan;
    quota: QuotaPlan;
    operations: OperationsPlan;
    /** The browser view's ConfigMap, route and URL (components/render/browserView.ts), when enabled. */
    browserView?: BrowserViewPlan;
    /** The egress proxy (components/render/egressProxy.ts), for an agent with network.allowDomains. */
    egressProxy?: EgressProxyPlan;
    /** What the stack's outputs show: the Service host, VNC endpoint, MCP URLs, full Vault paths. */
    endpoints: {
        serviceHost: string;
        vncEndpoint?: string;
        mcpUrls: Record<string, string>;
        vaultPaths: { provided: string; generated: string };
    };
}
