/**
 * The agent computer's contract (docs/pod-contract.md) as constants: its containers, ports, mount
 * paths, Secret keys and user. The plan builds every container from these; the images read the same
 * values from their environment.
 */

/** The containers a computer pod may have, by role (the plan's and the config's `resources.<role>` key). */
export const CONTAINER_ROLES = ["desktop", "computerControl", "shell", "browserView"] as const;
export type ContainerRole = (typeof CONTAINER_ROLES)[number];

/**
 * Each container's name in the pod and the image it runs (a key of images/builds.json and of
 * `platform.images`): the one table of the computer-control sidecar's spellings, among others.
 */
export const CONTAINERS = {
    desktop: { name: "desktop", image: "desktop" },
    computerControl: { name: "computer-control", image: "computerControlMcp" },
    shell: { name: "shell", image: "shell" },
    browserView: { name: "browser-view", image: "browserView" },
} as const satisfies Record<ContainerRole, { name: string; image: string }>;

export const PORTS = {
    vnc: 5900,
    computerControl: 8080,
    shell: 8081,
    browserView: 6080,
    shellMetrics: 9101,
    computerControlMetrics: 9102,
} as const;

/** Container port names; the Service, the probes and the monitoring PodMonitor refer to them. */
export const PORT_NAMES = {
    vnc: "vnc",
    computerControl: "computer-mcp",
    shell: "shell-mcp",
    browserView: "browser-view",
    shellMetrics: "shell-metrics",
    computerControlMetrics: "control-metrics",
} as const satisfies Record<keyof typeof PORTS, string>;

/** The path both MCP servers serve streamable HTTP on; kagent uses the URL verbatim. */
export const MCP_PATH = "/mcp";
/** Where every server of ours answers its health, and the metrics ports their series. */
export const HEALTH_PATH = "/healthz";
export const METRICS_PATH = "/metrics";
/** Every series of our servers carries this job label (the rules and the dashboard select on it). */
export const METRICS_JOB = "persistent-agents";

/**
 * The longest run_command the shell server accepts. Kagent's RemoteMCPServer timeout caps every
 * request, so the shell server's timeout is set a minute above this; longer work goes to start_job.
 */
export const SHELL_MAX_COMMAND_SECONDS = 600;

/** The images' user `agent` (UID and GID): every container of ours runs as it. */
export const AGENT_UID = 1000;

/**
 * What `sudo: true` adds back after every capability is dropped: the smallest set with which `sudo`,
 * `sudo dpkg -i` and apt's `_apt` sandbox work (measured by tests/images/test_sudo.py). Root in the
 * container has nothing else, and the namespace enforces `baseline`, which allows these three.
 */
export const SUDO_CAPABILITIES = ["CHOWN", "SETGID", "SETUID"] as const;

export const WORKSPACE_PATH = "/home/agent/workspace";
const SECRETS_DIR = "/var/run/secrets/agent";

export const MOUNTS = {
    workspace: WORKSPACE_PATH,
    config: "/home/agent/.config",
    x11: "/tmp/.X11-unix",
    shm: "/dev/shm",
    vnc: `${SECRETS_DIR}/vnc`,
    mcp: `${SECRETS_DIR}/mcp`,
    git: `${SECRETS_DIR}/git`,
    registry: `${SECRETS_DIR}/registry`,
    browserView: `${SECRETS_DIR}/browser-view`,
    /** The agent's build client certificate folder (ca.pem, cert.pem, key.pem): $BUILDKIT_TLS_DIR. */
    buildkit: `${SECRETS_DIR}/buildkit`,
    browserViewMode: "/etc/browser-view",
} as const;

/**
 * What the platform keeps on the agent's config volume: the desktop recording (written by the browser
 * view) and the audit trail (JSON lines of both MCP servers, read by the browser view's replay page).
 */
export const AGENT_RECORDS = {
    recordings: `${MOUNTS.config}/persistent-agents/recordings`,
    audit: `${MOUNTS.config}/persistent-agents/audit`,
} as const;

/** The browser view's mode file: key of the `<agent>-browser-view` ConfigMap, mounted as a volume. */
export const BROWSER_VIEW_MODE_KEY = "mode";
export const BROWSER_VIEW_MODE_VOLUME = "browser-view-mode";

/** The X display the desktop runs and the other containers draw on, through the shared socket. */
export const DISPLAY = ":0";

/** Keys of the agent's Secret `<agent>-credentials` that something outside the pod reads. */
export const SECRET_KEYS = {
    mcpToken: "mcp-token",
    /** `Bearer <mcp-token>`, sent by kagent's `headersFrom`. */
    authorization: "authorization",
    /** Read by the ModelConfig. */
    modelApiKey: "model-api-key",
    /** The git credential broker's header line; only the egress proxy mounts it. */
    egressBrokerGit: "egress-broker-git",
} as const;

/** The backup program (backup/snapshot-workspace.mjs), as its CronJob mounts and runs it. */
export const BACKUP_PROGRAM = { dir: "/opt/backup", file: "snapshot-workspace.mjs" } as const;
/** Where Kubernetes mounts a pod's service-account token and the cluster CA. */
export const SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";
