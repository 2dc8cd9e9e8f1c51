/**
 * Monitoring with the Prometheus Operator (`monitoring.coreos.com/v1`) and Grafana the cluster already
 * runs: per agent a PodMonitor for the computer's metrics ports and the NetworkPolicy that admits the
 * Prometheus pods to those ports only; for the stack one PrometheusRule (monitoring/rules.yaml) and one
 * dashboard ConfigMap (monitoring/dashboard.json), deployed from the very files the tests check.
 */
import * as fs from "fs";
// js-yaml: a runtime dependency of @pulumi/pulumi, and a dev dependency of ours for the tests.
import * as yaml from "js-yaml";
import * as path from "path";
import { agentLabels, computerSelector } from "../contract/labels";
import { PORTS, PORT_NAMES } from "../contract/pod";

/** Metrics ports of the computer's servers (docs/pod-contract.md), by the pod's port names. */
export const METRICS_PORTS = {
    shell: { name: PORT_NAMES.shellMetrics, port: PORTS.shellMetrics },
    computerControl: { name: PORT_NAMES.computerControlMetrics, port: PORTS.computerControlMetrics },
} as const;

/** Every series of our servers carries this job label (the rules and the dashboard select on it). */
export const METRICS_JOB = "persistent-agents";

const MONITORING_DIR = path.join(__dirname, "..", "..", "monitoring");
export const RULES_FILE = path.join(MONITORING_DIR, "rules.yaml");
export const DASHBOARD_FILE = path.join(MONITORING_DIR, "dashboard.json");

export interface MonitoringSettings {
    enabled: boolean;
    /** Where the Prometheus (and by default Grafana) runs; the PrometheusRule and the dashboard go there. */
    namespace: string;
    /** Labels of the Prometheus pods admitted to the metrics ports. */
    prometheusPodLabels: Record<string, string>;
    /** Labels the Prometheus's podMonitorSelector and ruleSelector select. */
    selectorLabels: Record<string, string>;
    scrapeInterval: string;
    /** Prefix of the rules' repository-relative runbook links, e.g. https://git.example.com/ops/persistent-agents/src/branch/main/ */
    runbookBaseUrl?: string;
    dashboard: { enabled: boolean; namespace?: string; labels: Record<string, string> };
}

export interface MonitoredAgent {
    name: string;
    namespace: string;
    desktop: boolean;
}

type KubernetesObject = {
    apiVersion: string;
    kind: string;
    metadata: { name: string; namespace: string; labels: Record<string, string> };
    [key: string]: unknown;
};

/** The metrics endpoints the agent's computer has: the shell always, computer-control with a desktop. */
export function metricsPorts(agent: MonitoredAgent): { name: string; port: number }[] {
    return agent.desktop ? [METRICS_PORTS.shell, METRICS_PORTS.computerControl] : [METRICS_PORTS.shell];
}

export function podMonitor(agent: MonitoredAgent, settings: MonitoringSettings): KubernetesObject {
    const relabelings = [
        // The pod label persistent-agents.dev/agent, as Prometheus's Kubernetes discovery spells it.
        {
            action: "replace",
            sourceLabels: ["__meta_kubernetes_pod_label_persistent_agents_dev_agent"],
            targetLabel: "agent",
        },
        { action: "replace", targetLabel: "job", replacement: METRICS_JOB },
    ];
    return {
        apiVersion: "monitoring.coreos.com/v1",
        kind: "PodMonitor",
        metadata: {
            name: `${agent.name}-computer`,
            namespace: agent.namespace,
            labels: { ...agentLabels(agent.name, "monitoring"), ...settings.selectorLabels },
        },
        spec: {
            selector: { matchLabels: computerSelector(agent.name) },
            podMetricsEndpoints: metricsPorts(agent).map((port) => ({
                port: port.name,
                path: "/metrics",
                scheme: "http",
                interval: settings.scrapeInterval,
                relabelings,
            })),
        },
    };
}

/** Admits the Prometheus pods to the metrics ports, and to nothing else of the computer. */
export function metricsNetworkPolicy(agent: MonitoredAgent, settings: MonitoringSettings): KubernetesObject {
    return {
        apiVersion: "networking.k8s.io/v1",
        kind: "NetworkPolicy",
        metadata: {
            name: `${agent.name}-computer-metrics`,
            namespace: agent.namespace,
            labels: agentLabels(agent.name, "network"),
        },
        spec: {
            podSelector: { matchLabels: computerSelector(agent.name) },
            policyTypes: ["Ingress"],
            ingress: [
                {
                    from: [
                        {
                            namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": settings.namespace } },
                            podSelector: { matchLabels: settings.prometheusPodLabels },
                        },
                    ],
                    ports: metricsPorts(agent).map((port) => ({ protocol: "TCP", port: port.port })),
                },
            ],
        },
    };
}

interface RuleGroup {
    name: string;
    rules: { alert?: string; annotations?: Record<string, string> }[];
}

/** monitoring/rules.yaml as a PrometheusRule spec, runbook links made absolute when a base URL is set. */
export function prometheusRuleSpec(
    settings: Pick<MonitoringSettings, "runbookBaseUrl">,
    file = RULES_FILE,
): { groups: RuleGroup[] } {
    const spec = yaml.load(fs.readFileSync(file, "utf8")) as { groups: RuleGroup[] };
    if (!settings.runbookBaseUrl) {
        return spec;
    }
    const base = settings.runbookBaseUrl.endsWith("/") ? settings.runbookBaseUrl : `${settings.runbookBaseUrl}/`;
    for (const rule of spec.groups.flatMap((group) => group.rules)) {
        if (rule.annotations?.runbook_url) {
            rule.annotations.runbook_url = base + rule.annotations.runbook_url;
        }
    }
    return spec;
}

const stackLabels = (component: string) => ({
    "app.kubernetes.io/name": "persistent-agents",
    "app.kubernetes.io/component": component,
    "app.kubernetes.io/managed-by": "pulumi",
});

export function prometheusRule(settings: MonitoringSettings): KubernetesObject {
    return {
        apiVersion: "monitoring.coreos.com/v1",
        kind: "PrometheusRule",
        metadata: {
            name: "persistent-agents",
            namespace: settings.namespace,
            labels: { ...stackLabels("alerts"), ...settings.selectorLabels },
        },
        spec: prometheusRuleSpec(settings),
    };
}

/** Grafana's dashboard sidecar loads every ConfigMap with its label (grafana_dashboard: "1" by default). */
export function dashboardConfigMap(settings: MonitoringSettings, file = DASHBOARD_FILE): KubernetesObject {
    return {
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: {
            name: "persistent-agents-dashboard",
            namespace: settings.dashboard.namespace ?? settings.namespace,
            labels: { ...stackLabels("dashboard"), ...settings.dashboard.labels },
        },
        data: { "persistent-agents.json": fs.readFileSync(file, "utf8") },
    };
}
