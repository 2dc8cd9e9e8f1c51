/**
 * The agent as kagent (0.10, kagent.dev/v1alpha2) runs it: its ModelConfig and Agent, and what kagent's
 * agent pod gets (runtime, replicas, resources, security context).
 */
import type { AgentSpec } from "../config";
import { agentLabels } from "../contract/labels";
import { agentObjectNames } from "../contract/names";
import { SECRET_KEYS } from "../contract/pod";
import type { KagentPlan } from "./parts";

/**
 * The agent runtime kagent runs for the Agent. Python: `kagent-adk` from PyPI, the only 0.10 runtime
 * this project can obtain and so prove end to end (tests/agent-loop); the Go runtime's module is not
 * served by the Go module proxy. (The CRD's default is go.)
 */
const KAGENT_RUNTIME = "python";

/**
 * The security context kagent's agent pod needs to pass the namespace's Pod Security Admission level
 * (kagent 0.10 leaves it empty unless the Agent sets one).
 */
const KAGENT_POD_SECURITY = {
    podSecurityContext: { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } },
    securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] }, runAsNonRoot: true },
};

export function planKagent(agent: AgentSpec): KagentPlan {
    const names = agentObjectNames(agent.name);
    return {
        agentName: names.agent,
        modelConfigName: names.modelConfig,
        namespace: agent.namespace,
        description: agent.description,
        systemMessage: agent.systemMessage,
        model: agent.model,
        runtime: KAGENT_RUNTIME,
        replicas: agent.suspended ? 0 : 1,
        resources: agent.resources.kagent,
        podSecurity: structuredClone(KAGENT_POD_SECURITY),
        labels: agentLabels(agent.name, "kagent"),
        tokenGeneration: String(agent.rotation.mcpToken),
        secretName: names.credentials,
        modelKeySecretKey: SECRET_KEYS.modelApiKey,
        authorizationSecretKey: SECRET_KEYS.authorization,
    };
}
