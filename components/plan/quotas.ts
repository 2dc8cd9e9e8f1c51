/**
 * The figures of an agent namespace's ResourceQuota and LimitRange, added up from the planned
 * containers plus kagent's agent pod (twice: its Deployment rolls with a surge pod), so the agent fits
 * and nothing more. Quantities are parsed once here; validation has kept them within the API's bounds.
 */
import { BACKUP_POD_RESOURCES } from "../render/backup";
import { EGRESS_PROXY_RESOURCES } from "../render/egressProxy";
import { AgentSpec, ContainerResources, formatBytes, formatCpu, parseQuantity } from "../config";
import { agentLabels } from "../contract/labels";
import { agentObjectNames } from "../contract/names";
import { ContainerPlan, QuotaPlan } from "./types";

/**
 * Pods of the namespace: the computer, kagent's agent pod and its rollout surge (and a backup pod, and
 * the egress proxy with its rollout surge).
 */
const POD_COUNT = 3;

const quantity = (text: string) => parseQuantity(text) ?? 0;

export function planQuota(
    agent: AgentSpec,
    containers: ContainerPlan[],
    backupPod: boolean,
    egressProxy = false,
): QuotaPlan {
    const kagent = agent.resources.kagent;
    const proxy: ContainerResources[] = egressProxy ? Object.values(EGRESS_PROXY_RESOURCES) : [];
    const counted: ContainerResources[] = [
        ...containers.map((c) => c.resources),
        kagent,
        kagent,
        ...(backupPod ? [BACKUP_POD_RESOURCES] : []),
        ...proxy,
        ...proxy,
    ];
    const sum = (kind: "requests" | "limits", measure: "cpu" | "memory") =>
        counted.reduce((total, figures) => total + quantity(figures[kind][measure]), 0);
    const largest = (measure: "cpu" | "memory") =>
        Math.max(
            ...[...containers.map((c) => c.resources), kagent].map((figures) => quantity(figures.limits[measure])),
        );
    const claims = [quantity(agent.storage.workspace), quantity(agent.storage.config)];
    const names = agentObjectNames(agent.name);
    return {
        quotaName: names.quota,
        limitRangeName: names.limits,
        labels: agentLabels(agent.name, "quota"),
        hard: {
            "requests.cpu": formatCpu(sum("requests", "cpu")),
            "requests.memory": formatBytes(sum("requests", "memory")),
            "limits.cpu": formatCpu(sum("limits", "cpu")),
            "limits.memory": formatBytes(sum("limits", "memory")),
            "requests.storage": formatBytes(claims[0] + claims[1]),
            persistentvolumeclaims: String(claims.length),
            pods: String(POD_COUNT + (backupPod ? 1 : 0) + (egressProxy ? 2 : 0)),
            // Ours, kagent's and the proxy's; none of type LoadBalancer or NodePort.
            services: String(2 + (egressProxy ? 1 : 0)),
            "services.loadbalancers": "0",
            "services.nodeports": "0",
        },
        containerDefaults: kagent,
        containerMax: { cpu: formatCpu(largest("cpu")), memory: formatBytes(largest("memory")) },
        claimMax: formatBytes(Math.max(...claims)),
    };
}
