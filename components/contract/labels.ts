/** Labels on every object of an agent, distinct from kagent's own (`app: kagent`, `kagent: <name>`). */

export const AGENT_LABEL = "persistent-agents.dev/agent";
/** On PVCs: whether the claim outlives the agent's config entry ("true") or goes with it ("false"). */
export const RETAIN_ANNOTATION = "persistent-agents.dev/retain";
/** Changing this label on the kagent Agent makes kagent re-render it with the current MCP token. */
export const TOKEN_GENERATION_LABEL = "persistent-agents.dev/mcp-token-generation";

export function agentLabels(agent: string, component: string): Record<string, string> {
    return {
        "app.kubernetes.io/name": "persistent-agent",
        "app.kubernetes.io/instance": agent,
        "app.kubernetes.io/component": component,
        "app.kubernetes.io/managed-by": "pulumi",
        [AGENT_LABEL]: agent,
    };
}

/** Selects every agent's computer pod (in any namespace), and nothing kagent creates. */
export const COMPUTER_POD_LABELS: Readonly<Record<string, string>> = {
    "app.kubernetes.io/name": "persistent-agent",
    "app.kubernetes.io/component": "computer",
};

/** Selects the agent's computer pod, and nothing kagent creates. */
export function computerSelector(agent: string): Record<string, string> {
    return { ...COMPUTER_POD_LABELS, [AGENT_LABEL]: agent };
}

/** Kagent's agent pod of the agent: kagent 0.10 labels it `app: kagent`, `kagent: <name>`. */
export function kagentPodSelector(agent: string): Record<string, string> {
    return { app: "kagent", kagent: agent };
}
