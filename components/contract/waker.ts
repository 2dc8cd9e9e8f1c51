/**
 * The waker's contract (images/waker; docs/architecture.md, "Sleeping computers"): where it listens, the
 * routes it serves kagent, the file it reads them from, the annotations it reads and writes on a computer's
 * Deployment, and its field manager. images/waker/src keeps its own copy of these names (it is a separate
 * program); tests/waker.test.ts holds the two equal.
 */

export const WAKER_NAME = "waker";
export const WAKER_PORT = 8080;
export const WAKER_METRICS_PORT = 9105;
/** Container port names (the Service and the PodMonitor refer to them). */
export const WAKER_PORT_NAME = "http";
export const WAKER_METRICS_PORT_NAME = "metrics";
/** The routes ConfigMap is mounted here; its one key is the file the waker reads (WAKER_ROUTES). */
export const WAKER_ROUTES_DIR = "/etc/waker";
export const WAKER_ROUTES_FILE = "routes.json";

/** What kagent calls instead of the computer's Service: `<waker>/agents/<agent>/<container>/mcp`. */
export function wakerRoute(agent: string, server: string): string {
    return `/agents/${agent}/${server}`;
}

/** The agent's browser view through the waker (a visit wakes the computer); the folder, with its slash. */
export function wakerViewPath(agent: string): string {
    return `${wakerRoute(agent, "view")}/`;
}

/** On the computer's Deployment. */
export const SLEEP_ANNOTATIONS = {
    /** The stack's: "true" with the operator's `suspended: true`, which no call overrides. */
    suspended: "persistent-agents.dev/suspended",
    /** The waker's: `awake` or `asleep`, and since when. */
    sleepState: "persistent-agents.dev/sleep-state",
    sleepSince: "persistent-agents.dev/sleep-since",
    /** The waker's: its servers' last discovery answers (JSON), so a restarted waker wakes nothing to list tools. */
    discovery: "persistent-agents.dev/discovery",
} as const;

/** `kubectl get deploy -o yaml --show-managed-fields`: this manager owns spec.replicas of sleeping computers. */
export const WAKER_FIELD_MANAGER = "persistent-agents-waker";

export const WAKER_POD_LABELS: Readonly<Record<string, string>> = {
    "app.kubernetes.io/name": "waker",
    "app.kubernetes.io/component": "waker",
    "app.kubernetes.io/managed-by": "pulumi",
};
