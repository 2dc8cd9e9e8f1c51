/**
 * Monitoring with the Prometheus Operator (`monitoring.coreos.com/v1`) and Grafana the cluster already
 * runs: per agent a PodMonitor for the computer's metrics ports and the NetworkPolicy that admits the
 * Prometheus pods to those ports only; for the stack one PrometheusRule (monitoring/rules.yaml) and one
 * dashboard ConfigMap (monitoring/dashboard.json), deployed from the very files the tests check.
 */
import * as fs from "node:fs";
import * as path from "node:path";
// js-yaml: a runtime dependency of @pulumi/pulumi, and a dev dependency of ours for the tests.
import * as yaml from "js-yaml";
import type { AgentSpec, PlatformSpec } from "../config";
import { agentLabels, computerSelector, stackLabels } from "../contract/labels";
import { agentObjectNames, STACK_OBJECT_NAMES } from "../contract/names";
import { type PolicyPlan, tcp } from "./network";
import type { ContainerPlan } from "./parts";

const MONITORING_DIR = path.join(__dirname, "..", "..", "monitoring");
const RULES_FILE = path.join(MONITORING_DIR, "rules.yaml");
const DASHBOARD_FILE = path.join(MONITORING_DIR, "dashboard.json");

export type MonitoringSettings = PlatformSpec["monitoring"];

/** What Prometheus scrapes, and which pods: the agent's computer, or its egress proxy. */
export interface PodMonitorPlan {
    name: string;
    namespace: string;
    labels: Record<string, string>;
    selector: Record<string, string>;
    /** Container port names. */
    ports: string[];
    interval: string;
}

export interface AgentMonitoringPlan {
    podMonitor: PodMonitorPlan;
    /** Admits the Prometheus pods to the metrics ports, and to nothing else of the computer. */
    policy: PolicyPlan;
}

export interface RuleGroup {
    name: string;
    rules: { alert?: string; record?: string; annotations?: Record<string, string> }[];
}

export interface StackMonitoringPlan {
    rule: { name: string; namespace: string; labels: Record<string, string>; spec: { groups: RuleGroup[] } };
    /** Grafana's dashboard sidecar loads every ConfigMap with its label (grafana_dashboard: "1" by default). */
    dashboard?: { name: string; namespace: string; labels: Record<string, string>; file: string; json: string };
}

/**
 * The metrics endpoints of the computer: the ports the planned containers serve metrics on, the
 * shell's first (as the PodMonitor has always listed them).
 */
function metricsPorts(containers: ContainerPlan[]): { name: string; port: number }[] {
    const order = ["shell", "computerControl", "desktop", "browserView"];
    return [...containers]
        .sort((a, b) => order.indexOf(a.role) - order.indexOf(b.role))
        .flatMap((container) => container.ports.filter((port) => port.purpose === "metrics"));
}

export function planAgentMonitoring(
    agent: AgentSpec,
    settings: MonitoringSettings,
    containers: ContainerPlan[],
): AgentMonitoringPlan | undefined {
    if (!settings.enabled) {
        return undefined;
    }
    const names = agentObjectNames(agent.name);
    const ports = metricsPorts(containers);
    return {
        podMonitor: {
            name: names.computer,
            namespace: agent.namespace,
            labels: { ...agentLabels(agent.name, "monitoring"), ...settings.selectorLabels },
            selector: computerSelector(agent.name),
            ports: ports.map((port) => port.name),
            interval: settings.scrapeInterval,
        },
        policy: {
            name: names.metricsPolicy,
            namespace: agent.namespace,
            labels: agentLabels(agent.name, "network"),
            podSelector: computerSelector(agent.name),
            policyTypes: ["Ingress"],
            ingress: [
                {
                    peers: [{ namespace: settings.namespace, pods: settings.prometheusPodLabels }],
                    ports: tcp(...ports.map((port) => port.port)),
                },
            ],
        },
    };
}

/** monitoring/rules.yaml as a PrometheusRule spec, runbook links made absolute when a base URL is set. */
function prometheusRuleSpec(
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

export function planStackMonitoring(settings: MonitoringSettings): StackMonitoringPlan | undefined {
    if (!settings.enabled) {
        return undefined;
    }
    return {
        rule: {
            name: STACK_OBJECT_NAMES.prometheusRule,
            namespace: settings.namespace,
            labels: { ...stackLabels("alerts"), ...settings.selectorLabels },
            spec: prometheusRuleSpec(settings),
        },
        dashboard: settings.dashboard.enabled
            ? {
                  name: STACK_OBJECT_NAMES.dashboard,
                  namespace: settings.dashboard.namespace ?? settings.namespace,
                  labels: { ...stackLabels("dashboard"), ...settings.dashboard.labels },
                  file: STACK_OBJECT_NAMES.dashboardFile,
                  json: fs.readFileSync(DASHBOARD_FILE, "utf8"),
              }
            : undefined,
    };
}
