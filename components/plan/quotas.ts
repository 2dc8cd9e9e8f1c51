/**
 * The figures of an agent namespace's ResourceQuota and LimitRange, added up from the pods the plan
 * puts there: the computer's containers, kagent's agent pod twice (its Deployment rolls with a surge
 * pod), the backup pod, the egress proxy twice (it rolls too). So the agent fits and nothing more.
 * Quantities are parsed once here; the config's check compares the sums with the API server's bound.
 */
import type { AgentSpec, ContainerResources } from "../config";
import { formatBytes, formatCpu, parseQuantity } from "../config/quantity";
import { agentLabels } from "../contract/labels";
import { agentObjectNames } from "../contract/names";
import type { ContainerPlan, QuotaPlan } from "./parts";

const quantity = (text: string) => parseQuantity(text) ?? 0;

/** The pods of the namespace besides the computer, each as the resources of its containers. */
export interface OtherPods {
    /** The backup CronJob's pod (one at a time: concurrencyPolicy Forbid). */
    backup?: ContainerResources;
    /** The egress proxy's containers; its Deployment rolls with a surge pod. */
    egressProxy?: ContainerResources[];
}

export function planQuota(agent: AgentSpec, containers: ContainerPlan[], others: OtherPods): QuotaPlan {
    const kagent = agent.resources.kagent;
    const proxy = others.egressProxy ?? [];
    const pods: ContainerResources[][] = [
        containers.map((c) => c.resources),
        [kagent],
        [kagent],
        ...(others.backup ? [[others.backup]] : []),
        ...(others.egressProxy ? [proxy, proxy] : []),
    ];
    const counted = pods.flat();
    const sum = (kind: "requests" | "limits", measure: "cpu" | "memory") =>
        counted.reduce((total, figures) => total + quantity(figures[kind][measure]), 0);
    const largest = (measure: "cpu" | "memory") =>
        Math.max(
            ...[...containers.map((c) => c.resources), kagent].map((figures) => quantity(figures.limits[measure])),
        );
    const claims = [quantity(agent.storage.workspace), quantity(agent.storage.config)];
    const names = agentObjectNames(agent.name);
    const totals = {
        requests: { cpu: sum("requests", "cpu"), memory: sum("requests", "memory") },
        limits: { cpu: sum("limits", "cpu"), memory: sum("limits", "memory") },
        storage: claims[0] + claims[1],
    };
    return {
        quotaName: names.quota,
        limitRangeName: names.limits,
        namespace: agent.namespace,
        labels: agentLabels(agent.name, "quota"),
        hard: {
            "requests.cpu": formatCpu(totals.requests.cpu),
            "requests.memory": formatBytes(totals.requests.memory),
            "limits.cpu": formatCpu(totals.limits.cpu),
            "limits.memory": formatBytes(totals.limits.memory),
            "requests.storage": formatBytes(totals.storage),
            persistentvolumeclaims: String(claims.length),
            pods: String(pods.length),
            // Ours, kagent's and the proxy's; none of type LoadBalancer or NodePort.
            services: String(2 + (others.egressProxy ? 1 : 0)),
            "services.loadbalancers": "0",
            "services.nodeports": "0",
        },
        totals,
        containerDefaults: kagent,
        containerMax: { cpu: formatCpu(largest("cpu")), memory: formatBytes(largest("memory")) },
        claimMax: formatBytes(Math.max(...claims)),
    };
}
