/**
 * What the policies know about the stack. The pack is its own package and does not import the program,
 * so these mirror components/contract/labels.ts and components/contract/names.ts; tests/policies.test.ts checks they agree.
 */

/** Label on every object of an agent (components/contract/labels.ts AGENT_LABEL). */
export const AGENT_LABEL = "persistent-agents.dev/agent";

/** Labels that mark a pod as an agent's computer (components/contract/labels.ts computerSelector, minus the agent). */
export const COMPUTER_POD_LABELS: Readonly<Record<string, string>> = {
    "app.kubernetes.io/name": "persistent-agent",
    "app.kubernetes.io/component": "computer",
};

/** MCP ports of the computer: container port names and numbers (components/contract/names.ts PORTS). */
export const MCP_PORTS: ReadonlyArray<{ name: string; number: number }> = [
    { name: "computer-mcp", number: 8080 },
    { name: "shell-mcp", number: 8081 },
];

/**
 * Pod label or annotation opting a pod into privilege escalation (sudo in the agent's shell).
 * Only the value "true" counts.
 */
export const SUDO_OPT_IN = "persistent-agents.dev/sudo";

/**
 * Label or annotation on a PersistentVolumeClaim saying whether the stack retains it on delete.
 * "false": the operator chose removable storage (storage.retainOnDelete: false), the claim may go.
 * "true": the stack set retainOnDelete. The policy engine does not pass retainOnDelete to policies
 * (AnalyzerResourceOptions has no such field as of Pulumi 3.270), so under `pulumi preview
 * --policy-pack` this marker is what the policy reads; where the option is visible it must agree.
 */
export const RETAIN_MARKER = "persistent-agents.dev/retain";
