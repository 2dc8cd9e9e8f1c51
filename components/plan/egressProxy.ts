/**
 * An agent's egress proxy (docs/architecture.md, "Egress by domain name"): for an agent with
 * `network.allowDomains`, a Deployment `<agent>-egress` of images/egress-proxy in the agent's namespace
 * (squid on 3128, mtail's metrics on 9103), its Service, the ConfigMap of its squid rules and its
 * NetworkPolicy; the computer's containers get the proxy in their environment.
 */
import type { AgentSpec, AllowedDomain, ContainerResources, PlatformSpec } from "../config";
import {
    GITEA_CA_FILE,
    PATHS,
    PORT_NAMES as PROXY_PORT_NAMES,
    METRICS_PORT,
    PROXY_PORT,
} from "../contract/egressProxy";
import { agentLabels, computerSelector, egressProxySelector } from "../contract/labels";
import { agentObjectNames, serviceHost } from "../contract/names";
import { SECRET_KEYS } from "../contract/pod";
import type { BuildProxy } from "./buildService";
import type { PodMonitorPlan } from "./monitoring";
import { dnsRule, egressRule, type PolicyPlan, tcp } from "./network";
import type { EnvPlan } from "./parts";

/**
 * squid idles at ~26 MiB RSS and stays under 28 MiB with open tunnels; mtail at ~16 MiB, +1 MiB per
 * 2,000 denied hosts (docs/benchmarks.md, "Egress proxy"). The limits leave room for bursts.
 */
export const EGRESS_PROXY_RESOURCES = {
    proxy: { requests: { cpu: "50m", memory: "64Mi" }, limits: { cpu: "1", memory: "256Mi" } },
    metrics: { requests: { cpu: "10m", memory: "32Mi" }, limits: { cpu: "200m", memory: "96Mi" } },
} as const satisfies Record<string, ContainerResources>;

/**
 * The git credential broker: the computer speaks plain HTTP to the proxy for `host` (git is told
 * `url.http://<host>/.insteadOf https://<host>/`), and the proxy forwards those requests over TLS to
 * `host:port` with the agent's token added. The token is only in the proxy's Secret-mounted file.
 */
export interface GitBroker {
    host: string;
    /** The git host's HTTPS port (443). */
    port: number;
    /** The port of the plain-HTTP URL git uses for the host: 80 when the https URL names no port, else the same. */
    httpPort: number;
    /** PEM bundle the proxy verifies the git host with; unset: the system's CAs. */
    caFile?: string;
    /** Its content (`platform.giteaCaCertificate`), which the proxy's ConfigMap holds at `caFile`. */
    caCertificate?: string;
}

/** Without a name in NO_PROXY, a tool sends it to the proxy: in-cluster names go direct. */
const NO_PROXY = ["localhost", "127.0.0.1", "::1", ".svc", ".svc.cluster.local", ".cluster.local"];

export interface EgressProxyPlan {
    namespace: string;
    /** Deployment, Service and ConfigMap. */
    name: string;
    image: "egressProxy";
    replicas: 0 | 1;
    labels: Record<string, string>;
    selector: Record<string, string>;
    /** What squid lets through (render/squidRules.ts writes the rules file from it). */
    agent: string;
    allow: AllowedDomain[];
    broker?: GitBroker;
    /** The `<agent>-credentials` key the broker's header line is in, when the git credential is brokered. */
    brokerSecret?: { name: string; key: string };
    /** What the computer's containers get: the proxy for every tool, and git's rewrite to the broker. */
    computerEnv: EnvPlan[];
    resources: typeof EGRESS_PROXY_RESOURCES;
    /** Who reaches the proxy (the computer, Prometheus) and where it connects. */
    policy: PolicyPlan;
    podMonitor?: PodMonitorPlan;
}

/** The plan of the agent's proxy, or undefined when it has no `network.allowDomains` (no proxy, as before). */
export function planEgressProxy(agent: AgentSpec, platform: PlatformSpec): EgressProxyPlan | undefined {
    const allow = agent.network.allowDomains;
    if (allow.length === 0) {
        return undefined;
    }
    const names = agentObjectNames(agent.name);
    const monitoring = platform.monitoring;
    const broker = agent.credentials.gitea.brokered
        ? gitBroker(platform.giteaHost, platform.giteaCaCertificate)
        : undefined;
    const proxyUrl = `http://${serviceHost(names.egressProxy, agent.namespace)}:${PROXY_PORT}`;
    const noProxy = NO_PROXY.join(",");
    const computerEnv: EnvPlan[] = [
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
    const selector = egressProxySelector(agent.name);
    const labels = agentLabels(agent.name, "egress-proxy");
    return {
        namespace: agent.namespace,
        name: names.egressProxy,
        image: "egressProxy",
        replicas: agent.suspended ? 0 : 1,
        labels,
        selector,
        agent: agent.name,
        allow,
        broker,
        brokerSecret: broker ? { name: names.credentials, key: SECRET_KEYS.egressBrokerGit } : undefined,
        computerEnv,
        resources: EGRESS_PROXY_RESOURCES,
        policy: {
            name: names.egressProxyPolicy,
            namespace: agent.namespace,
            labels: agentLabels(agent.name, "network"),
            podSelector: selector,
            policyTypes: ["Ingress", "Egress"],
            ingress: [
                { peers: [{ pods: computerSelector(agent.name) }], ports: tcp(PROXY_PORT) },
                ...(monitoring.enabled
                    ? [
                          {
                              peers: [{ namespace: monitoring.namespace, pods: monitoring.prometheusPodLabels }],
                              ports: tcp(METRICS_PORT),
                          },
                      ]
                    : []),
            ],
            egress: [
                dnsRule(platform.network.dns),
                // Names are the proxy's to check; addresses outside the cluster on the listed ports are the network's.
                // The private ranges stay closed unless a computerEgress rule names them (an in-cluster mirror, say).
                ...[{ cidr: "0.0.0.0/0", ports, protocol: "TCP" as const }, ...agent.network.computerEgress].map(
                    egressRule,
                ),
            ],
        },
        podMonitor: monitoring.enabled
            ? {
                  name: names.egressProxy,
                  namespace: agent.namespace,
                  labels: { ...labels, ...monitoring.selectorLabels },
                  selector,
                  ports: [PROXY_PORT_NAMES.metrics],
                  interval: monitoring.scrapeInterval,
              }
            : undefined,
    };
}

/** What the agent's build daemon needs of its proxy: the same URL and exceptions as the computer, and the rule to it. */
export function buildProxy(proxy: EgressProxyPlan): BuildProxy {
    const value = (name: string) => proxy.computerEnv.find((env) => env.name === name)?.value ?? "";
    return {
        url: value("HTTPS_PROXY"),
        noProxy: value("NO_PROXY").split(","),
        rule: { namespace: proxy.namespace, podLabels: proxy.selector, ports: [PROXY_PORT], protocol: "TCP" },
    };
}

/** The proxy lets in the agent's build daemon (its pulls, and build steps given the proxy), as it does the computer. */
export function admitBuildDaemon(
    proxy: EgressProxyPlan,
    daemon: { namespace: string; labels: Record<string, string> },
): void {
    proxy.policy.ingress = [
        ...(proxy.policy.ingress ?? []),
        { peers: [{ namespace: daemon.namespace, pods: daemon.labels }], ports: tcp(PROXY_PORT) },
    ];
}

/** `git.example.com` is HTTPS on 443 and plain HTTP on 80; `git.example.com:3000` is both on 3000. A private
 * CA's certificate goes in the proxy's ConfigMap beside its rules. */
function gitBroker(giteaHost: string, caCertificate: string | undefined): GitBroker {
    const [host, port] = giteaHost.split(":");
    const ca = caCertificate === undefined ? {} : { caFile: `${PATHS.rulesDir}/${GITEA_CA_FILE}`, caCertificate };
    return port === undefined
        ? { host, port: 443, httpPort: 80, ...ca }
        : { host, port: Number(port), httpPort: Number(port), ...ca };
}
