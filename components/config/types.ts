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
    /** Whether the stack writes its generated secrets to Vault (off only for a rendering-only local stack). */
    writeSecrets: boolean;
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
}

export interface StackConfig {
    platform: PlatformSpec;
    agents: AgentSpec[];
}
