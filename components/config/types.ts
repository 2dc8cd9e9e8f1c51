/** The validated, defaulted configuration the components are built from. */

export type ModelProvider = "Anthropic" | "OpenAI";

/** Containers whose requests and limits an operator may override (`kagent` is the agent's own pod). */
export const CONTAINER_ROLES = ["desktop", "computerControl", "shell", "kagent"] as const;
export type ContainerRole = (typeof CONTAINER_ROLES)[number];

export interface ResourceFigures {
    cpu: string;
    memory: string;
}

export interface ContainerResources {
    requests: ResourceFigures;
    limits: ResourceFigures;
}

export interface ModelSpec {
    provider: ModelProvider;
    name: string;
    maxTokens?: number;
}

export interface DesktopSpec {
    enabled: boolean;
    resolution: string;
}

export interface StorageSpec {
    workspace: string;
    config: string;
    /** Undefined means the cluster's default StorageClass. */
    storageClass?: string;
    /** Keep the namespace and PVCs when the agent is removed from config (the default). */
    retainOnDelete: boolean;
}

export interface CredentialSpec {
    enabled: boolean;
    username: string;
}

/** Where the operator's own secrets come from. */
export type OperatorSecrets =
    | { source: "vault" }
    | { source: "config"; modelApiKey: string; giteaToken?: string; harborPassword?: string };

export interface RotationSpec {
    /** Bump to generate a new MCP bearer token (and re-render the kagent Agent that copies it). */
    mcpToken: number;
    /** Bump to generate a new VNC password. */
    vncPassword: number;
}

/** An egress destination the operator allows: a CIDR (public unless named) or an in-cluster namespace. */
export interface EgressRule {
    cidr?: string;
    namespace?: string;
    podLabels?: Record<string, string>;
    /** Empty means every port. */
    ports: number[];
    protocol: "TCP" | "UDP";
}

/** Who may open the VNC port. */
export interface ViewerSpec {
    namespaces: string[];
    cidrs: string[];
}

export interface NetworkSpec {
    /** Where the computer may connect: Gitea, the registry, package mirrors. */
    computerEgress: EgressRule[];
    /** Where kagent's agent pod may connect besides kagent and its computer: the model API. */
    agentEgress: EgressRule[];
    vncViewers: ViewerSpec;
}

export type PodSecurityLevel = "restricted" | "baseline";

export interface AgentSpec {
    name: string;
    namespace: string;
    description: string;
    systemMessage: string;
    model: ModelSpec;
    desktop: DesktopSpec;
    storage: StorageSpec;
    resources: Record<ContainerRole, ContainerResources>;
    credentials: { gitea: CredentialSpec; harbor: CredentialSpec };
    secrets: OperatorSecrets;
    rotation: RotationSpec;
    /** Platform rules plus the agent's own. */
    network: NetworkSpec;
    /** e.g. gvisor or kata: a sandboxed runtime for the computer pod. */
    runtimeClassName?: string;
    /** Passwordless sudo in the computer (the pod then allows privilege escalation, and PSA is baseline). */
    sudo: boolean;
    /** Scales the computer and kagent's agent pod to zero, keeping everything else (workspace included). */
    suspended: boolean;
    podSecurity: PodSecurityLevel;
}

export const IMAGE_NAMES = ["desktop", "computerControlMcp", "shell"] as const;
export type ImageName = (typeof IMAGE_NAMES)[number];

export interface ImagesSpec {
    /** Prebuilt references (`repo@sha256:…`) that replace the build of that image. */
    prebuilt: Partial<Record<ImageName, string>>;
    platforms: string[];
    /** Tag the built images carry in the registry next to their digest (default: the stack name). */
    tag: string;
    /** Registry user for pushes; without it the ambient `docker login` of the machine running Pulumi is used. */
    registryUsername?: string;
}

export interface VaultSpec {
    /** Vault's URL as the External Secrets Operator reaches it from inside the cluster. */
    address: string;
    mount: string;
    pathPrefix: string;
    /**
     * Whether the stack writes to Vault: generated secrets, and each agent's policy and Kubernetes-auth
     * role (off only for a rendering-only local stack).
     */
    writeSecrets: boolean;
    /** Path of Vault's Kubernetes auth method. */
    authMount: string;
    /** Audience of the service-account tokens ESO presents (Vault 1.21+ requires roles to name one). */
    audience: string;
}

export interface SecretStoreSpec {
    kind: "SecretStore" | "ClusterSecretStore";
    /** The ClusterSecretStore's name when kind is ClusterSecretStore. */
    name: string;
}

export interface PlatformSpec {
    namespacePrefix: string;
    storageClass?: string;
    kagentNamespace: string;
    registry: string;
    imageRepository: string;
    giteaHost: string;
    vault: VaultSpec;
    secretStore: SecretStoreSpec;
    images: ImagesSpec;
    network: NetworkSpec & { dns: { namespace: string; podLabels: Record<string, string> } };
    podSecurity: PodSecurityLevel;
}

export interface StackConfig {
    platform: PlatformSpec;
    agents: AgentSpec[];
}
