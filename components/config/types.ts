/**
 * The validated, defaulted configuration the components are built from. The shapes of the keys come
 * from the schema (agentSchema.ts, platformSchema.ts); these types add what is resolved from several
 * keys at once (an agent's namespace, its merged network rules, its secrets' source).
 */
import type { AgentConfig } from "./agentSchema";
import type { ImageName } from "../contract/images";
import type { ContainerResources, ResourcesKey } from "./defaults";
import type { AllowedDomain, EgressRule, ViewerSpec } from "./networkSchema";
import type { PlatformConfig } from "./platformSchema";

export type { AgentConfig } from "./agentSchema";
export type { ContainerResources, ResourceFigures, ResourcesKey } from "./defaults";
export type { AllowedDomain, EgressRule, ViewerSpec } from "./networkSchema";
export type { ImageName } from "../contract/images";
export type { PlatformConfig } from "./platformSchema";

export type ModelSpec = AgentConfig["model"];
export type RotationSpec = AgentConfig["rotation"];

export interface DesktopSpec {
    enabled: boolean;
    resolution: string;
    browserView: { enabled: boolean; mode: "view-only" | "interactive" };
    screenshots: AgentConfig["desktop"]["screenshots"];
    recording: AgentConfig["desktop"]["recording"];
}

export type StorageSpec = AgentConfig["storage"];

export interface CredentialSpec {
    enabled: boolean;
    username: string;
}

/** Where the operator's own secrets come from. */
export type OperatorSecrets =
    | { source: "vault" }
    | { source: "config"; modelApiKey: string; giteaToken?: string; harborPassword?: string };

export interface NetworkSpec {
    /** Where the computer may connect: Gitea, the registry, package mirrors. */
    computerEgress: EgressRule[];
    /** Where kagent's agent pod may connect besides kagent and its computer: the model API. */
    agentEgress: EgressRule[];
    /** Hosts the computer reaches through its egress proxy; empty: no proxy, direct egress by computerEgress. */
    allowDomains: AllowedDomain[];
    vncViewers: ViewerSpec;
}

export type PodSecurityLevel = PlatformConfig["podSecurity"];

export interface AgentSpec {
    name: string;
    namespace: string;
    description: string;
    systemMessage: string;
    model: ModelSpec;
    desktop: DesktopSpec;
    storage: StorageSpec;
    resources: Record<ResourcesKey, ContainerResources>;
    /** gitea.brokered: the egress proxy holds the token and adds it to the computer's git requests. */
    credentials: { gitea: CredentialSpec & { brokered: boolean }; harbor: CredentialSpec };
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
    /** Sleep on idle (the waker, platform.suspend): undefined when the computer never sleeps by itself. */
    sleep?: SleepSpec;
    podSecurity: PodSecurityLevel;
}

export interface SleepSpec {
    idleAfterSeconds: number;
    wakeTimeoutSeconds: number;
}

export interface ImagesSpec {
    /** Prebuilt references (`repo@sha256:…`) that replace the build of that image. */
    prebuilt: Partial<Record<ImageName, string>>;
    platforms: string[];
    /** Tag the built images carry in the registry next to their digest (default: the stack name). */
    tag: string;
    /** Registry user for pushes; without it the ambient `docker login` of the machine running Pulumi is used. */
    registryUsername?: string;
}

export type PlatformSpec = Omit<PlatformConfig, "images"> & { images: ImagesSpec };

export interface StackConfig {
    platform: PlatformSpec;
    agents: AgentSpec[];
}
