/**
 * Monitoring objects as their plans say (plan/monitoring.ts): PodMonitors (the computer's, the egress
 * proxy's), the computer's metrics NetworkPolicy, and the stack's PrometheusRule and dashboard ConfigMap.
 */
import { AGENT_LABEL_IN_PROMETHEUS } from "../contract/labels";
import { METRICS_JOB, METRICS_PATH } from "../contract/pod";
import type { AgentMonitoringPlan, PodMonitorPlan, StackMonitoringPlan } from "../plan/types";
import { networkPolicy } from "./networkPolicy";
import type { KubernetesObject, Rendered } from "./objects";

/** Every series gets the pod's agent label as `agent`, and our job label (the rules select on both). */
const RELABELINGS = [
    { action: "replace", sourceLabels: [AGENT_LABEL_IN_PROMETHEUS], targetLabel: "agent" },
    { action: "replace", targetLabel: "job", replacement: METRICS_JOB },
];

export function podMonitor(plan: PodMonitorPlan): KubernetesObject {
    return {
        apiVersion: "monitoring.coreos.com/v1",
        kind: "PodMonitor",
        metadata: { name: plan.name, namespace: plan.namespace, labels: plan.labels },
        spec: {
            selector: { matchLabels: plan.selector },
            podMetricsEndpoints: plan.ports.map((port) => ({
                port,
                path: METRICS_PATH,
                scheme: "http",
                interval: plan.interval,
                relabelings: structuredClone(RELABELINGS),
            })),
        },
    };
}

export function agentMonitoringObjects(plan: AgentMonitoringPlan): Rendered[] {
    return [
        { key: "podmonitor", object: podMonitor(plan.podMonitor) },
        { key: "metrics-policy", object: networkPolicy(plan.policy) },
    ];
}

/** The alert rules and the dashboard, keyed `rules` and `dashboard`. */
export function stackMonitoringObjects(plan: StackMonitoringPlan): Rendered[] {
    const objects: Rendered[] = [
        {
            key: "rules",
            object: {
                apiVersion: "monitoring.coreos.com/v1",
                kind: "PrometheusRule",
                metadata: { name: plan.rule.name, namespace: plan.rule.namespace, labels: plan.rule.labels },
                spec: plan.rule.spec,
            },
        },
    ];
    const dashboard = plan.dashboard;
    if (dashboard) {
        objects.push({
            key: "dashboard",
            object: {
                apiVersion: "v1",
                kind: "ConfigMap",
                metadata: { name: dashboard.name, namespace: dashboard.namespace, labels: dashboard.labels },
                data: { [dashboard.file]: dashboard.json },
            },
        });
    }
    return objects;
}
