/**
 * The plans: everything the stack decides, decided once by `planStack` and `planAgent` from the
 * validated specs. render/ spells them out as Kubernetes objects and decides nothing itself (as kagent's
 * translator compiles an Agent into `AgentManifestInputs` before `BuildManifest`). Plain data only: the
 * golden files (tests/golden/outputs/<case>/plan.yaml) show them per representative config.
 *
 * Each feature's plan type lives with its planner (backup.ts, monitoring.ts, …) and is re-exported here,
 * so that this module is the one import for what a plan holds.
 */
import type { ImageName, ImagesSpec } from "../config";
import type { BackupPlan } from "./backup";
import type { BrowserViewPlan } from "./browserView";
import type { BuildDaemonPlan, BuildServicePlan } from "./buildService";
import type { EgressProxyPlan } from "./egressProxy";
import type { ImageBuildPlan } from "./images";
import type { AgentMonitoringPlan, StackMonitoringPlan } from "./monitoring";
import type { NetworkPlan } from "./network";
import type { AgentSleepPlan, WakerPlan } from "./waker";
import type {
    ComputerPlan,
    CredentialsPlan,
    KagentPlan,
    McpServerPlan,
    NamespacePlan,
    QuotaPlan,
    VaultAccessPlan,
} from "./parts";

export type { ImageName } from "../config";
export type { BackupPlan, CronJobBackupPlan } from "./backup";
export type { BrowserViewPlan } from "./browserView";
export type { BuildDaemonPlan, BuildServicePlan } from "./buildService";
export type { EgressProxyPlan } from "./egressProxy";
export type { ImageBuildPlan } from "./images";
export type { AgentMonitoringPlan, PodMonitorPlan, StackMonitoringPlan } from "./monitoring";
export type { NetworkPlan, PeerPlan, PolicyPlan, RulePlan } from "./network";
export type { AgentSleepPlan, WakerPlan } from "./waker";
export type * from "./parts";

export interface AgentPlan {
    agent: string;
    namespace: NamespacePlan;
    /** The images its pods run (the stack builds each needed image once). */
    images: ImageName[];
    computer: ComputerPlan;
    mcpServers: McpServerPlan[];
    credentials: CredentialsPlan;
    vaultAccess: VaultAccessPlan;
    kagent: KagentPlan;
    network: NetworkPlan;
    quota: QuotaPlan;
    monitoring?: AgentMonitoringPlan;
    backup?: BackupPlan;
    browserView?: BrowserViewPlan;
    egressProxy?: EgressProxyPlan;
    /** The agent's own BuildKit daemon in the build namespace (plan/buildService.ts), with the build service. */
    buildDaemon?: BuildDaemonPlan;
    /** Sleep on idle through the stack's waker (plan/waker.ts), when the agent has `suspend.idleAfter`. */
    sleep?: AgentSleepPlan;
    /** What the stack's outputs show: the Service host, VNC endpoint, MCP URLs, full Vault paths, the browser view. */
    endpoints: AgentEndpoints;
}

export interface AgentEndpoints {
    namespace: string;
    serviceHost: string;
    vncEndpoint?: string;
    mcpUrls: Record<string, string>;
    vaultPaths: { provided: string; generated: string };
    /** Only for agents with a browser view: its URL, its mode, and the port-forward for clusters without a route. */
    browserView?: { url: string; portForward: string; mode: string };
    /** With the build service: the agent's own daemon, as its `buildctl` reaches it (BUILDKIT_HOST). */
    buildkitHost?: string;
}

/** The images the stack builds once for all its agents (resources/images.ts builds them). */
export interface ImagesPlan {
    registry: string;
    repository: string;
    /** The images some agent needs, and how each is built; prebuilt ones are used as they are. */
    needed: ImageName[];
    builds: Partial<Record<ImageName, ImageBuildPlan>>;
    prebuilt: ImagesSpec["prebuilt"];
    platforms: string[];
    tag: string;
    /** Push with this user and the secret `registryPassword`; unset: the ambient `docker login`. */
    registryUsername?: string;
}

/** What index.ts registers: the agents, and the stack's own objects. */
export interface StackPlan {
    agents: AgentPlan[];
    /** No agent, no image. */
    images?: ImagesPlan;
    monitoring?: StackMonitoringPlan;
    buildService?: BuildServicePlan;
    /** With `platform.suspend.enabled`: the waker that sleeps and wakes the agents' computers. */
    waker?: WakerPlan;
    /** What preview says without failing, each with the config path it is about. */
    warnings: string[];
}
