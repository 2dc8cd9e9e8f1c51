/**
 * What the network tests evaluate: the pods of the stack's objects as the NetworkPolicy evaluator sees them
 * (their namespaces and labels, as the program renders them), and the cluster a program run makes.
 */
import type { Cluster, Endpoint } from "./networkPolicyEvaluator";
import type { ProgramRun } from "./program";

/** An agent's computer pod, in its default namespace `agent-<name>`. */
export const computerPod = (agent: string): Endpoint => ({
    namespace: `agent-${agent}`,
    labels: {
        "app.kubernetes.io/name": "persistent-agent",
        "app.kubernetes.io/component": "computer",
        "persistent-agents.dev/agent": agent,
    },
});

/** The agent pod kagent runs for an Agent, in the agent's namespace. */
export const kagentPod = (agent: string): Endpoint => ({
    namespace: `agent-${agent}`,
    labels: { app: "kagent", kagent: agent },
});

/** The stack's waker (platform.suspend), in its default namespace. */
export const wakerPod: Endpoint = {
    namespace: "agent-waker",
    labels: {
        "app.kubernetes.io/name": "waker",
        "app.kubernetes.io/component": "waker",
        "app.kubernetes.io/managed-by": "pulumi",
    },
};

/**
 * The run's NetworkPolicies, and the labels of its Namespaces plus those of `others` (namespaces the
 * cluster has without the stack: kagent's, DNS's, …), each with the name label Kubernetes gives it.
 */
export function clusterOf(run: ProgramRun, others: string[]): Cluster {
    const namespaceLabels: Record<string, Record<string, string>> = {};
    for (const name of others) {
        namespaceLabels[name] = { "kubernetes.io/metadata.name": name };
    }
    for (const ns of run.byType("kubernetes:core/v1:Namespace")) {
        namespaceLabels[ns.inputs.metadata.name] = {
            ...ns.inputs.metadata.labels,
            "kubernetes.io/metadata.name": ns.inputs.metadata.name,
        };
    }
    return {
        policies: run.byType("kubernetes:networking.k8s.io/v1:NetworkPolicy").map((p) => p.inputs),
        namespaceLabels,
    };
}
