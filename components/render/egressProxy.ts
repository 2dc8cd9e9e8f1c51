/**
 * An agent's egress proxy (docs/architecture.md, "Egress by domain name"): for an agent with
 * `network.allowDomains`, a Deployment `<agent>-egress` of images/egress-proxy in the agent's namespace
 * (squid on 3128, mtail's metrics on 9103), its Service and the ConfigMap of its squid rules.
 * The plan decides; `egressProxyObjects` renders plain objects, registered by PersistentAgent.
 */
import type * as pulumi from "@pulumi/pulumi";
import type { AgentSpec, EgressRule, PlatformSpec, ResourceFigures } from "../config";
import { AGENT_LABEL, agentLabels, computerSelector } from "../contract/labels";
import type { MonitoringSettings } from "./monitoring";
import { agentObjectNames } from "../contract/names";
import type { KubernetesObject } from "../resources/register";
import { METRICS_PORT, mtailArgs, PATHS, PROXY_PORT } from "../contract/egressProxy";
import { BROKER_GIT_FILE, BROKER_SECRET_DIR, GitBroker, squidRules } from "./squidRules";

/** The Secret key (of `<agent>-credentials`) holding the broker's header line; only the proxy mounts it. */
export const BROKER_GIT_SECRET_KEY = "egress-broker-git";

/**
 * squid idles at ~26 MiB RSS and stays under 28 MiB with open tunnels; mtail at ~16 MiB, +1 MiB per
 * 2,000 denied hosts (docs/benchmarks.md, "Egress proxy"). The limits leave room for bursts.
 */
export const EGRESS_PROXY_RESOURCES = {
    proxy: { requests: { cpu: "50m", memory: "64Mi" }, limits: { cpu: "1", memory: "256Mi" } },
    metrics: { requests: { cpu: "10m", memory: "32Mi" }, limits: { cpu: "200m", memory: "96Mi" } },
} as const satisfies Record<string, { requests: ResourceFigures; limits: ResourceFigures }>;

/** Without a name in NO_PROXY, a tool sends it to the proxy: in-cluster names go direct. */
const NO_PROXY = ["localhost", "127.0.0.1", "::1", ".svc", ".svc.cluster.local", ".cluster.local"];

export interface EgressProxyPlan {
    agent: string;
    namespace: string;
    /** Deployment, Service and ConfigMap. */
    name: string;
    policyName: string;
    replicas: 0 | 1;
    labels: Record<string, string>;
    selector: Record<string, string>;
    /** squid's per-agent rules (components/render/squidRules.ts), the ConfigMap's `rules.conf`. */
    rules: string;
    /** The `<agent>-credentials` key the broker's header line is in, when the git credential is brokered. */
    brokerSecret?: { name: string; key: string };
    /** What the computer's containers get: the proxy for every tool, and git's rewrite to the broker. */
    computerEnv: { name: string; value: string }[];
    /** Where the proxy may connect: the allowed ports outside the cluster, and the operator's rules. */
    egress: EgressRule[];
    computerSelector: Record<string, string>;
    monitoring?: {
        namespace: string;
        podLabels: Record<string, string>;
        selectorLabels: Record<string, string>;
        scrapeInterval: string;
    };
}

/** The plan of the agent's proxy, or undefined when it has no `network.allowDomains` (no proxy, as before). */
export function planEgressProxy(
    agent: AgentSpec,
    platform: PlatformSpec,
    monitoring: MonitoringSettings | undefined,
): EgressProxyPlan | undefined {
    const allow = agent.network.allowDomains;
    if (allow.length === 0) {
        return undefined;
    }
    const names = agentObjectNames(agent.name);
    const broker = agent.credentials.gitea.brokered ? gitBroker(platform.giteaHost) : undefined;
    const proxyUrl = `http://${names.egressProxy}.${agent.namespace}.svc.cluster.local:${PROXY_PORT}`;
    const noProxy = NO_PROXY.join(",");
    const computerEnv = [
        // Both spellings: curl reads only the lower-case http_proxy, Go and others the upper-case ones.
        ...["HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"].map((name) => ({ name, value: proxyUrl })),
        { name: "NO_PROXY", value: noProxy },
        { name: "no_proxy", value: noProxy },
    ];
    if (broker) {
        // git fetches https://<gitea>/… as plain HTTP from the proxy, which adds the token and speaks TLS onwards.
        const https = `https://${platform.giteaHost}/`;
        const http = `http://${broker.host}${broker.httpPort === 80 ? "" : `:${broker.httpPort}`}/`;
        computerEnv.push(
            { name: "GIT_CONFIG_COUNT", value: "1" },
            { name: "GIT_CONFIG_KEY_0", value: `url.${http}.insteadOf` },
            { name: "GIT_CONFIG_VALUE_0", value: https },
        );
    }
    const ports = [...new Set([...allow.flatMap((entry) => entry.ports), ...(broker ? [broker.port] : [])])].sort(
        (a, b) => a - b,
    );
    return {
        agent: agent.name,
        namespace: agent.namespace,
        name: names.egressProxy,
        policyName: names.egressProxyPolicy,
        replicas: agent.suspended ? 0 : 1,
        labels: agentLabels(agent.name, "egress-proxy"),
        selector: egressProxySelector(agent.name),
        rules: squidRules({ agent: agent.name, allow, broker }),
        brokerSecret: broker ? { name: names.credentials, key: BROKER_GIT_SECRET_KEY } : undefined,
        computerEnv,
        // Names are the proxy's to check; addresses outside the cluster on the listed ports are the network's.
        // The private ranges stay closed unless a computerEgress rule names them (an in-cluster mirror, say).
        egress: [{ cidr: "0.0.0.0/0", ports, protocol: "TCP" }, ...agent.network.computerEgress],
        computerSelector: computerSelector(agent.name),
        monitoring: monitoring?.enabled
            ? {
                  namespace: monitoring.namespace,
                  podLabels: monitoring.prometheusPodLabels,
                  selectorLabels: monitoring.selectorLabels,
                  scrapeInterval: monitoring.scrapeInterval,
              }
            : undefined,
    };
}

/** `git.example.com` is HTTPS on 443 and plain HTTP on 80; `git.example.com:3000` is both on 3000. */
function gitBroker(giteaHost: string): GitBroker {
    const [host, port] = giteaHost.split(":");
    return port === undefined
        ? { host, port: 443, httpPort: 80 }
        : { host, port: Number(port), httpPort: Number(port) };
}

/** The proxy pod of the agent, and nothing else (not the computer, not kagent's pods). */
export function egressProxySelector(agent: string): Record<string, string> {
    return {
        "app.kubernetes.io/name": "persistent-agent",
        "app.kubernetes.io/component": "egress-proxy",
        [AGENT_LABEL]: agent,
    };
}

/**
 * The proxy's objects: ConfigMap, Service, Deployment, and a PodMonitor with monitoring. Its
 * NetworkPolicy is rendered with the agent's others (components/render/networkPolicies.ts).
 */
export function egressProxyObjects(plan: EgressProxyPlan, image: pulumi.Input<string>): KubernetesObject[] {
    const metadata = (name: string) => ({ name, namespace: plan.namespace, labels: plan.labels });
    const objects: KubernetesObject[] = [
        {
            apiVersion: "v1",
            kind: "ConfigMap",
            metadata: metadata(plan.name),
            data: { [PATHS.rulesFile]: plan.rules },
        },
        {
            apiVersion: "v1",
            kind: "Service",
            metadata: metadata(plan.name),
            spec: {
                selector: plan.selector,
                ports: [{ name: "proxy", port: PROXY_PORT, targetPort: "proxy", protocol: "TCP" }],
            },
        },
        {
            apiVersion: "apps/v1",
            kind: "Deployment",
            metadata: metadata(plan.name),
            spec: {
                replicas: plan.replicas,
                selector: { matchLabels: plan.selector },
                template: {
                    metadata: { labels: { ...plan.labels, ...plan.selector } },
                    spec: podSpec(plan, image),
                },
            },
        },
    ];
    if (plan.monitoring) {
        objects.push({
            apiVersion: "monitoring.coreos.com/v1",
            kind: "PodMonitor",
            metadata: { ...metadata(plan.name), labels: { ...plan.labels, ...plan.monitoring.selectorLabels } },
            spec: {
                selector: { matchLabels: plan.selector },
                podMetricsEndpoints: [
                    {
                        port: "metrics",
                        path: "/metrics",
                        scheme: "http",
                        interval: plan.monitoring.scrapeInterval,
                        relabelings: [
                            {
                                action: "replace",
                                sourceLabels: ["__meta_kubernetes_pod_label_persistent_agents_dev_agent"],
                                targetLabel: "agent",
                            },
                            { action: "replace", targetLabel: "job", replacement: "persistent-agents" },
                        ],
                    },
                ],
            },
        });
    }
    return objects;
}

function podSpec(plan: EgressProxyPlan, image: pulumi.Input<string>): Record<string, unknown> {
    const security = {
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        capabilities: { drop: ["ALL"] },
    };
    const logMount = { name: "log", mountPath: PATHS.logDir };
    return {
        automountServiceAccountToken: false,
        enableServiceLinks: false,
        securityContext: {
            runAsUser: 1000,
            runAsGroup: 1000,
            runAsNonRoot: true,
            seccompProfile: { type: "RuntimeDefault" },
        },
        containers: [
            {
                name: "egress-proxy",
                image,
                imagePullPolicy: "IfNotPresent",
                ports: [{ name: "proxy", containerPort: PROXY_PORT }],
                volumeMounts: [
                    { name: "run", mountPath: PATHS.runDir },
                    logMount,
                    { name: "rules", mountPath: PATHS.rulesDir, readOnly: true },
                    ...(plan.brokerSecret ? [{ name: "broker", mountPath: BROKER_SECRET_DIR, readOnly: true }] : []),
                ],
                readinessProbe: { tcpSocket: { port: "proxy" }, periodSeconds: 5 },
                livenessProbe: { tcpSocket: { port: "proxy" }, periodSeconds: 20, failureThreshold: 3 },
                resources: structuredClone(EGRESS_PROXY_RESOURCES.proxy),
                securityContext: security,
            },
            {
                name: "egress-metrics",
                image,
                imagePullPolicy: "IfNotPresent",
                command: ["mtail", ...mtailArgs()],
                ports: [{ name: "metrics", containerPort: METRICS_PORT }],
                volumeMounts: [{ ...logMount, readOnly: true }],
                readinessProbe: { httpGet: { path: "/metrics", port: "metrics" }, periodSeconds: 10 },
                resources: structuredClone(EGRESS_PROXY_RESOURCES.metrics),
                securityContext: security,
            },
        ],
        volumes: [
            { name: "run", emptyDir: { sizeLimit: "16Mi" } },
            // Two access logs of 8 MiB at most (start-egress-proxy.sh rotates).
            { name: "log", emptyDir: { sizeLimit: "64Mi" } },
            { name: "rules", configMap: { name: plan.name } },
            ...(plan.brokerSecret
                ? [
                      {
                          name: "broker",
                          secret: {
                              secretName: plan.brokerSecret.name,
                              items: [{ key: plan.brokerSecret.key, path: BROKER_GIT_FILE }],
                          },
                      },
                  ]
                : []),
        ],
    };
}
