/**
 * A ResourceQuota and a LimitRange per agent namespace, derived from the agent's own containers plus
 * kagent's agent pod (twice: its Deployment rolls with a surge pod), so the agent fits and nothing more.
 */
import * as k8s from "@pulumi/kubernetes";
import { AgentSpec, ContainerRole, computerRoles as rolesOfComputer, formatBytes, formatCpu, parseQuantity } from "../config";
import { agentLabels } from "../labels";

/** Pods of the namespace: the computer, kagent's agent pod and its rollout surge. */
const POD_COUNT = 3;

export function computerRoles(agent: AgentSpec): ContainerRole[] {
    return rolesOfComputer(agent.desktop.enabled);
}

export function quotaFigures(agent: AgentSpec): Record<string, string> {
    const roles: ContainerRole[] = [...computerRoles(agent), "kagent", "kagent"];
    const sum = (kind: "requests" | "limits", measure: "cpu" | "memory") =>
        roles.reduce((total, role) => total + parseQuantity(agent.resources[role][kind][measure])!, 0);
    const storage = parseQuantity(agent.storage.workspace)! + parseQuantity(agent.storage.config)!;
    return {
        "requests.cpu": formatCpu(sum("requests", "cpu")),
        "requests.memory": formatBytes(sum("requests", "memory")),
        "limits.cpu": formatCpu(sum("limits", "cpu")),
        "limits.memory": formatBytes(sum("limits", "memory")),
        "requests.storage": formatBytes(storage),
        persistentvolumeclaims: "2",
        pods: String(POD_COUNT),
        // Ours and kagent's; none of type LoadBalancer or NodePort.
        services: "2",
        "services.loadbalancers": "0",
        "services.nodeports": "0",
    };
}

export function resourceQuota(agent: AgentSpec): k8s.types.input.core.v1.ResourceQuota {
    return {
        apiVersion: "v1",
        kind: "ResourceQuota",
        metadata: { name: `${agent.name}-quota`, namespace: agent.namespace, labels: agentLabels(agent.name, "quota") },
        spec: { hard: quotaFigures(agent) },
    };
}

/** Defaults for containers that set nothing, and a ceiling no single container or claim may pass. */
export function limitRange(agent: AgentSpec): k8s.types.input.core.v1.LimitRange {
    const roles = [...computerRoles(agent), "kagent" as const];
    const largest = (measure: "cpu" | "memory") => Math.max(...roles.map((role) => parseQuantity(agent.resources[role].limits[measure])!));
    const largestClaim = Math.max(parseQuantity(agent.storage.workspace)!, parseQuantity(agent.storage.config)!);
    return {
        apiVersion: "v1",
        kind: "LimitRange",
        metadata: { name: `${agent.name}-limits`, namespace: agent.namespace, labels: agentLabels(agent.name, "quota") },
        spec: {
            limits: [
                {
                    type: "Container",
                    default: { ...agent.resources.kagent.limits },
                    defaultRequest: { ...agent.resources.kagent.requests },
                    max: { cpu: formatCpu(largest("cpu")), memory: formatBytes(largest("memory")) },
                },
                { type: "PersistentVolumeClaim", max: { storage: formatBytes(largestClaim) } },
            ],
        },
    };
}
