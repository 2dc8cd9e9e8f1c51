/**
 * The agent computer's contract (docs/pod-contract.md) as constants: ports, mount paths, the user.
 * The plan builds every container from these; the images read the same values from their environment.
 */
import { WORKSPACE_PATH } from "../config";

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
} as const;

/** The path both MCP servers serve streamable HTTP on; kagent uses the URL verbatim. */
export const MCP_PATH = "/mcp";

/**
 * The longest run_command the shell server accepts. Kagent's RemoteMCPServer timeout caps every
 * request, so the shell server's timeout is set a minute above this; longer work goes to start_job.
 */
export const SHELL_MAX_COMMAND_SECONDS = 600;

export const AGENT_UID = 1000;

/**
 * What `sudo: true` adds back after every capability is dropped: the smallest set with which `sudo`,
 * `sudo dpkg -i` and apt's `_apt` sandbox work (measured by tests/images/test_sudo.py). Root in the
 * container has nothing else, and the namespace enforces `baseline`, which allows these three.
 */
export const SUDO_CAPABILITIES = ["CHOWN", "SETGID", "SETUID"] as const;
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
    browserViewMode: "/etc/browser-view",
} as const;

/** The browser view's mode file: key of the `<agent>-browser-view` ConfigMap, mounted as a volume. */
export const BROWSER_VIEW_MODE_KEY = "mode";
export const BROWSER_VIEW_MODE_VOLUME = "browser-view-mode";

/** The X display the desktop runs and the other containers draw on, through the shared socket. */
export const DISPLAY = ":0";
