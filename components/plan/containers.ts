/**
 * The containers of an agent's computer pod (docs/pod-contract.md): which ones, and each one's image,
 * ports, environment, mounts, resources and probes. Desktop agents: desktop + computer-control sidecar
 * + shell sharing one X11 socket (+ the browser view when enabled); CLI agents: the shell alone.
 */
import type { AgentSpec } from "../config";
import { parseQuantity } from "../config/quantity";
import { agentObjectNames } from "../contract/names";
import {
    AGENT_RECORDS,
    BROWSER_VIEW_MODE_KEY,
    BROWSER_VIEW_MODE_VOLUME,
    CONTAINERS,
    type ContainerRole,
    DISPLAY,
    HEALTH_PATH,
    MOUNTS,
    PORT_NAMES,
    PORTS,
    SHELL_MAX_COMMAND_SECONDS,
    SUDO_CAPABILITIES,
} from "../contract/pod";
import { type CredentialFile, credentialEnv, credentialMounts } from "./credentials";
import type { ContainerPlan, EnvPlan, MountPlan, ProbePlan, VolumePlan } from "./parts";

/**
 * Which containers the computer pod has: the one place this is decided (the credentials, the quota,
 * the monitoring and the config's checks follow the planned containers).
 */
function computerRoles(agent: Pick<AgentSpec, "desktop">): ContainerRole[] {
    if (!agent.desktop.enabled) {
        return ["shell"];
    }
    return agent.desktop.browserView.enabled
        ? ["desktop", "computerControl", "shell", "browserView"]
        : ["desktop", "computerControl", "shell"];
}

const httpProbe =
    (httpPath: string) =>
    (port: string, periodSeconds: number, extra: Partial<ProbePlan> = {}): ProbePlan => ({
        check: { httpPath, port },
        periodSeconds,
        ...extra,
    });
const healthz = httpProbe(HEALTH_PATH);
/** The computer-control sidecar's liveness: only what a restart cures (it reconnects to a restarted X by itself). */
const livez = httpProbe("/livez");

function gitIdentity(agent: AgentSpec): EnvPlan[] {
    return [
        { name: "GIT_AUTHOR_NAME", value: agent.name },
        { name: "GIT_COMMITTER_NAME", value: agent.name },
        { name: "GIT_AUTHOR_EMAIL", value: `${agent.name}@agents.local` },
        { name: "GIT_COMMITTER_EMAIL", value: `${agent.name}@agents.local` },
    ];
}

const workspaceMounts: MountPlan[] = [
    { volume: "workspace", path: MOUNTS.workspace, readOnly: false },
    { volume: "config", path: MOUNTS.config, readOnly: false },
];
const x11Mount: MountPlan = { volume: "x11-socket", path: MOUNTS.x11, readOnly: false };

/** The desktop and the shell run what the agent runs, so they are where its sudo works. */
function sudoSecurity(agent: AgentSpec): Pick<ContainerPlan, "allowPrivilegeEscalation" | "addCapabilities"> {
    return { allowPrivilegeEscalation: agent.sudo, addCapabilities: agent.sudo ? [...SUDO_CAPABILITIES] : [] };
}

type ContainerDraft = Omit<ContainerPlan, "env" | "mounts"> & { env: EnvPlan[]; mounts: MountPlan[] };

/** An MCP server container (each serves tools on one port and Prometheus on another, docs/pod-contract.md):
 * its identity, both its ports, the env that has it listen on them on every interface, and where its audit
 * trail goes (docs/audit-trail.md: the agent's config volume, which the replay page reads). */
function mcpServerContainer(
    role: "computerControl" | "shell",
    agent: AgentSpec,
): Pick<ContainerDraft, "role" | "name" | "image" | "ports" | "env"> {
    const metrics = `${role}Metrics` as const;
    return {
        role,
        ...CONTAINERS[role],
        ports: [
            { name: PORT_NAMES[role], port: PORTS[role], purpose: "mcp" },
            { name: PORT_NAMES[metrics], port: PORTS[metrics], purpose: "metrics" },
        ],
        env: [
            { name: "HOST", value: "0.0.0.0" },
            { name: "PORT", value: String(PORTS[role]) },
            { name: "METRICS_PORT", value: String(PORTS[metrics]) },
            { name: "AGENT_NAME", value: agent.name },
            { name: "AUDIT_DIR", value: AGENT_RECORDS.audit },
        ],
    };
}

function desktop(agent: AgentSpec): ContainerDraft {
    return {
        role: "desktop",
        ...CONTAINERS.desktop,
        ports: [{ name: PORT_NAMES.vnc, port: PORTS.vnc, purpose: "vnc" }],
        env: [
            { name: "DISPLAY", value: DISPLAY },
            { name: "RESOLUTION", value: agent.desktop.resolution },
            { name: "VNC_PORT", value: String(PORTS.vnc) },
            ...gitIdentity(agent),
        ],
        mounts: [...workspaceMounts, x11Mount, { volume: "dshm", path: MOUNTS.shm, readOnly: false }],
        resources: agent.resources.desktop,
        probes: {
            startup: { check: { tcpPort: PORT_NAMES.vnc }, periodSeconds: 2, failureThreshold: 60 },
            readiness: { check: { tcpPort: PORT_NAMES.vnc }, periodSeconds: 10 },
            liveness: { check: { tcpPort: PORT_NAMES.vnc }, periodSeconds: 20, failureThreshold: 3 },
        },
        ...sudoSecurity(agent),
    };
}

function computerControl(agent: AgentSpec): ContainerDraft {
    const port = PORT_NAMES.computerControl;
    const server = mcpServerContainer("computerControl", agent);
    return {
        ...server,
        env: [
            { name: "DISPLAY", value: DISPLAY },
            ...server.env,
            { name: "SCREENSHOT_FORMAT", value: agent.desktop.screenshots.format },
            ...(agent.desktop.screenshots.format === "jpeg"
                ? [{ name: "SCREENSHOT_QUALITY", value: String(agent.desktop.screenshots.quality) }]
                : []),
        ],
        // The config volume for the audit trail (audit_trail.py); the sidecar reads nothing else of it.
        mounts: [x11Mount, { volume: "config", path: MOUNTS.config, readOnly: false }],
        resources: agent.resources.computerControl,
        // Loading the OCR models and waiting for the X server take a while on a cold node.
        // /healthz answers while a tool runs, but a loaded node can be slow: 5 s before a probe counts as failed.
        // While the desktop restarts /healthz says not ready and the sidecar reconnects by itself, so liveness
        // (/livez) only fails for a tool call stuck past its budget: a restart would not bring X back sooner.
        probes: {
            startup: healthz(port, 2, { failureThreshold: 90, timeoutSeconds: 5 }),
            readiness: healthz(port, 5, { timeoutSeconds: 5 }),
            liveness: livez(port, 5, { failureThreshold: 3, timeoutSeconds: 5 }),
        },
        allowPrivilegeEscalation: false,
        addCapabilities: [],
    };
}

function shell(agent: AgentSpec, withDesktop: boolean, buildKitHost: string | undefined): ContainerDraft {
    const port = PORT_NAMES.shell;
    const server = mcpServerContainer("shell", agent);
    return {
        ...server,
        env: [
            ...server.env,
            { name: "WORKSPACE_DIR", value: MOUNTS.workspace },
            { name: "MAX_COMMAND_TIMEOUT_SECONDS", value: String(SHELL_MAX_COMMAND_SECONDS) },
            ...gitIdentity(agent),
            // Programs the agent starts from its shell open on its desktop.
            ...(withDesktop ? [{ name: "DISPLAY", value: DISPLAY }] : []),
            // buildctl reads it: the stack's BuildKit daemon, when the platform deploys one.
            ...(buildKitHost ? [{ name: "BUILDKIT_HOST", value: buildKitHost }] : []),
        ],
        mounts: [...workspaceMounts, ...(withDesktop ? [x11Mount] : [])],
        resources: agent.resources.shell,
        probes: {
            startup: healthz(port, 2, { failureThreshold: 30 }),
            readiness: healthz(port, 10),
            liveness: healthz(port, 10, { failureThreshold: 3 }),
        },
        ...sudoSecurity(agent),
    };
}

/** noVNC in the browser, bridging to the desktop's VNC inside the pod (images/browser-view). */
function browserView(agent: AgentSpec): ContainerDraft {
    const port = PORT_NAMES.browserView;
    const recording = agent.desktop.recording;
    return {
        role: "browserView",
        ...CONTAINERS.browserView,
        ports: [{ name: port, port: PORTS.browserView, purpose: "browser" }],
        env: [
            // Names the session cookie: one per agent, so that two agents' views never share one.
            { name: "AGENT_NAME", value: agent.name },
            { name: "HOST", value: "0.0.0.0" },
            { name: "PORT", value: String(PORTS.browserView) },
            { name: "VNC_HOST", value: "127.0.0.1" },
            { name: "VNC_PORT", value: String(PORTS.vnc) },
            { name: "BROWSER_VIEW_MODE_FILE", value: `${MOUNTS.browserViewMode}/${BROWSER_VIEW_MODE_KEY}` },
            ...(recording.enabled ? recordingEnv(recording) : []),
        ],
        // A ConfigMap volume (no subPath) so that a mode change reaches the running server in place; the
        // config volume when recording (segments written there, the audit trail read from there).
        mounts: [
            { volume: BROWSER_VIEW_MODE_VOLUME, path: MOUNTS.browserViewMode, readOnly: true },
            ...(recording.enabled ? [{ volume: "config", path: MOUNTS.config, readOnly: false }] : []),
        ],
        resources: agent.resources.browserView,
        probes: {
            startup: healthz(port, 2, { failureThreshold: 30 }),
            readiness: healthz(port, 10),
            liveness: healthz(port, 10, { failureThreshold: 3 }),
        },
        allowPrivilegeEscalation: false,
        addCapabilities: [],
    };
}

/** The desktop recording's settings (images/browser-view/src/config.ts reads them). */
function recordingEnv(recording: AgentSpec["desktop"]["recording"]): EnvPlan[] {
    return [
        { name: "RECORDING_DIR", value: AGENT_RECORDS.recordings },
        { name: "RECORDING_MAX_AGE_SECONDS", value: String(recording.maxAgeDays * 86_400) },
        { name: "RECORDING_MAX_BYTES", value: String(parseQuantity(recording.maxSize)) },
        { name: "RECORDING_DURING_TAKEOVER", value: String(recording.duringTakeover) },
        { name: "AUDIT_DIR", value: AGENT_RECORDS.audit },
    ];
}

/**
 * `buildKitHost`: the stack's BuildKit daemon (plan/buildService.ts), when the platform deploys one;
 * `proxyEnv`: what every container gets when the agent has an egress proxy (plan/egressProxy.ts).
 */
export function planContainers(
    agent: AgentSpec,
    files: CredentialFile[],
    buildKitHost: string | undefined,
    proxyEnv: EnvPlan[],
    telemetryEnv: EnvPlan[],
): ContainerPlan[] {
    const roles = computerRoles(agent);
    const build: Record<ContainerRole, () => ContainerDraft> = {
        desktop: () => desktop(agent),
        computerControl: () => computerControl(agent),
        shell: () => shell(agent, roles.includes("desktop"), buildKitHost),
        browserView: () => browserView(agent),
    };
    return roles.map((role) => {
        const draft = build[role]();
        return {
            ...draft,
            // With a proxy, every container sends its HTTP(S) there (git, pip, npm, curl read these).
            env: [
                ...draft.env,
                ...credentialEnv(files, role),
                ...proxyEnv,
                // The MCP servers trace their tool calls (plan/telemetry.ts).
                ...(draft.ports.some((p) => p.purpose === "mcp") ? telemetryEnv : []),
            ],
            mounts: [...draft.mounts, ...credentialMounts(files, role)],
        };
    });
}

/**
 * The pod's volumes: those some planned container mounts, in a fixed order (the claims, the shared X11
 * socket and /dev/shm, the browser view's mode, then one per credential file).
 */
export function planVolumes(
    agent: string,
    containers: ContainerPlan[],
    files: CredentialFile[],
    claims: { role: string; name: string }[],
    secretName: string,
): VolumePlan[] {
    const candidates: VolumePlan[] = [
        ...claims.map((claim) => ({ name: claim.role, source: { claim: claim.name } })),
        { name: "x11-socket", source: { emptyDir: {} } },
        // Browsers need a /dev/shm of at least 256Mi; memory-backed, so it counts against the desktop's limit.
        { name: "dshm", source: { emptyDir: { medium: "Memory", sizeLimit: "512Mi" } } },
        {
            name: BROWSER_VIEW_MODE_VOLUME,
            source: {
                configMap: {
                    name: agentObjectNames(agent).browserViewConfig,
                    key: BROWSER_VIEW_MODE_KEY,
                    file: BROWSER_VIEW_MODE_KEY,
                },
            },
        },
        // One volume per folder: the build client's three files share one.
        ...[...new Set(files.map((file) => file.volume))].map((volume) => ({
            name: volume,
            source: {
                secret: {
                    name: secretName,
                    items: files.filter((file) => file.volume === volume).map(({ key, file }) => ({ key, file })),
                },
            },
        })),
    ];
    const mounted = new Set(containers.flatMap((c) => c.mounts.map((m) => m.volume)));
    return candidates.filter((volume) => mounted.has(volume.name));
}
