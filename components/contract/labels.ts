/**
 * Every label and annotation the stack writes or selects on, and the selectors built from them: the one
 * home of these names (the policy pack imports them too). Ours are distinct from kagent's own
 * (`app: kagent`, `kagent: <name>`).
 */

/** On every object of an agent, its namespace included (the build service admits namespaces by it). */
export const AGENT_LABEL = "persistent-agents.dev/agent";
/** On PVCs: whether the claim outlives the agent's config entry ("true") or goes with it ("false"). */
export const RETAIN_ANNOTATION = "persistent-agents.dev/retain";
/** Changing this label on the kagent Agent makes kagent re-render it with the current MCP token. */
export const TOKEN_GENERATION_LABEL = "persistent-agents.dev/mcp-token-generation";
/** On the computer pod of an agent with `sudo: true`: the policy pack admits escalation only with it. */
export const SUDO_LABEL = "persistent-agents.dev/sudo";
/** On the ExternalSecret: the rotation counters; ESO reconciles on annotation changes, so a rotation syncs at once. */
export const ROTATION_ANNOTATION = "persistent-agents.dev/rotation";
/** On the workspace snapshots the backup takes: the claim they are of (retention selects on it). */
export const BACKUP_OF_LABEL = "persistent-agents.dev/backup-of";
/** `app.kubernetes.io/managed-by` of the snapshots the backup program takes (they are not Pulumi's). */
export const SNAPSHOT_MANAGER = "persistent-agents-backup";

/** The label the API server puts on every namespace: its own name. */
const NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name";

/** A NetworkPolicy peer's namespace selector for one namespace, by name. */
export function namespaceSelector(namespace: string): { matchLabels: Record<string, string> } {
    return { matchLabels: { [NAMESPACE_NAME_LABEL]: namespace } };
}

/** `app.kubernetes.io/name` of every agent's objects, and of the stack-wide ones. */
const AGENT_APP = "persistent-agent";
const STACK_APP = "persistent-agents";

/** What an object of an agent is part of: its `app.kubernetes.io/component`. */
export type AgentComponent =
    | "namespace"
    | "computer"
    | "workspace"
    | "config"
    | "credentials"
    | "kagent"
    | "network"
    | "quota"
    | "monitoring"
    | "backup"
    | "browser-view"
    | "egress-proxy";

export function agentLabels(agent: string, component: AgentComponent): Record<string, string> {
    return {
        "app.kubernetes.io/name": AGENT_APP,
        "app.kubernetes.io/instance": agent,
        "app.kubernetes.io/component": component,
        "app.kubernetes.io/managed-by": "pulumi",
        [AGENT_LABEL]: agent,
    };
}

/** Labels of the stack-wide objects (the alert rules, the dashboard). */
export function stackLabels(component: "alerts" | "dashboard"): Record<string, string> {
    return {
        "app.kubernetes.io/name": STACK_APP,
        "app.kubernetes.io/component": component,
        "app.kubernetes.io/managed-by": "pulumi",
    };
}

/** The pods of one component of one agent, and nothing kagent creates. */
function podsOf(component: AgentComponent, agent: string): Record<string, string> {
    return { "app.kubernetes.io/name": AGENT_APP, "app.kubernetes.io/component": component, [AGENT_LABEL]: agent };
}

/** Selects every agent's computer pod (in any namespace), and nothing kagent creates. */
export const COMPUTER_POD_LABELS: Readonly<Record<string, string>> = {
    "app.kubernetes.io/name": AGENT_APP,
    "app.kubernetes.io/component": "computer",
};

/** Selects the agent's computer pod, and nothing kagent creates. */
export function computerSelector(agent: string): Record<string, string> {
    return podsOf("computer", agent);
}

/** The backup pods (selected by the backup egress policy, never by the computer's policies). */
export function backupPodSelector(agent: string): Record<string, string> {
    return podsOf("backup", agent);
}

/** The agent's egress proxy pod, and nothing else (not the computer, not kagent's pods). */
export function egressProxySelector(agent: string): Record<string, string> {
    return podsOf("egress-proxy", agent);
}

/** The claims snapscheduler snapshots: the agent's workspace claim (its labels are agentLabels(…, "workspace")). */
export function workspaceClaimSelector(agent: string): Record<string, string> {
    return { [AGENT_LABEL]: agent, "app.kubernetes.io/component": "workspace" };
}

/** Kagent's agent pod of the agent: kagent 0.10 labels it `app: kagent`, `kagent: <name>`. */
export function kagentPodSelector(agent: string): Record<string, string> {
    return { app: "kagent", kagent: agent };
}

/** The BuildKit daemon's pods: its Service selects them, and agents' egress admits them. */
export const BUILDKIT_POD_LABELS: Readonly<Record<string, string>> = {
    "app.kubernetes.io/name": "buildkitd",
    "app.kubernetes.io/component": "build-service",
    "app.kubernetes.io/managed-by": "pulumi",
};

/**
 * Prometheus's Kubernetes discovery spells a pod label as a meta label (`__meta_kubernetes_pod_label_`
 * and the label with every character outside [a-zA-Z0-9_] as `_`): the PodMonitors copy AGENT_LABEL
 * into every series as `agent`.
 */
export const AGENT_LABEL_IN_PROMETHEUS = `__meta_kubernetes_pod_label_${AGENT_LABEL.replace(/[^a-zA-Z0-9_]/g, "_")}`;
