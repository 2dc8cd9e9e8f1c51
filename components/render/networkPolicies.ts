/**
 * Renders the network policies of an agent's namespace: everything denied, then exactly what the agent
 * needs. Kagent's agent pod and the kagent controller's namespace reach the MCP ports; viewers reach
 * the desktop's viewer ports; the computer and the agent pod reach DNS and what the operator allows.
 * With an egress proxy (network.allowDomains), the computer reaches outside the cluster only through
 * it: its own egress keeps DNS, the proxy and the in-cluster namespaces of its rules, and the proxy
 * gets the allowed ports outside the cluster plus the operator's rules.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { EgressRule, PlatformSpec } from "../config";
import { parseCidr, strictlyContains } from "../config/network";
import { METRICS_PORT, PROXY_PORT } from "../contract/egressProxy";
import { AgentPlan } from "../plan";

type NetworkPolicy = k8s.types.input.networking.v1.NetworkPolicy;
type Peer = k8s.types.input.networking.v1.NetworkPolicyPeer;
type EgressTarget = k8s.types.input.networking.v1.NetworkPolicyEgressRule;

/** Private, link-local, loopback and carrier-grade NAT ranges: denied unless a rule names them. */
export const PRIVATE_RANGES = [
    "10.0.0.0/8",
    "172.16.0.0/12",
    "192.168.0.0/16",
    "100.64.0.0/10",
    "169.254.0.0/16",
    "127.0.0.0/8",
];

/** Kagent's agent runtime serves A2A here; kagent's UI and controller call it. */
export const KAGENT_AGENT_PORT = 8080;

const namespaceByName = (name: string) => ({ matchLabels: { "kubernetes.io/metadata.name": name } });

/** The policies by key (the key names the Pulumi resource: `<agent>-<key>`). */
export function networkPolicies(
    plan: AgentPlan,
    platform: PlatformSpec,
    namespace: pulumi.Input<string>,
): Record<string, NetworkPolicy> {
    const network = plan.network;
    const policy = (name: string, spec: NetworkPolicy["spec"]): NetworkPolicy => ({
        apiVersion: "networking.k8s.io/v1",
        kind: "NetworkPolicy",
        metadata: { name, namespace, labels: network.labels },
        spec,
    });
    const computer = { matchLabels: network.computerSelector };
    const kagentPod = { matchLabels: network.kagentPodSelector };
    const kagentNamespace: Peer = { namespaceSelector: namespaceByName(platform.kagentNamespace) };
    const dns: EgressTarget = {
        to: [
            {
                namespaceSelector: namespaceByName(platform.network.dns.namespace),
                podSelector: { matchLabels: platform.network.dns.podLabels },
            },
        ],
        ports: [
            { protocol: "UDP", port: 53 },
            { protocol: "TCP", port: 53 },
        ],
    };
    const mcpPorts = network.mcpPorts.map((port) => ({ protocol: "TCP", port }));
    const proxy = plan.egressProxy;

    const policies: Record<string, NetworkPolicy> = {
        "default-deny": policy(network.policyNames.defaultDeny, {
            podSelector: {},
            policyTypes: ["Ingress", "Egress"],
        }),
        "computer-mcp": policy(network.policyNames.computerMcp, {
            podSelector: computer,
            policyTypes: ["Ingress"],
            // The agent's own kagent pod calls the tools; the controller lists them every 60 s.
            ingress: [{ from: [{ podSelector: kagentPod }, kagentNamespace], ports: mcpPorts }],
        }),
        "computer-egress": policy(network.policyNames.computerEgress, {
            podSelector: computer,
            policyTypes: ["Egress"],
            egress: proxy
                ? [
                      dns,
                      {
                          to: [{ podSelector: { matchLabels: proxy.selector } }],
                          ports: [{ protocol: "TCP", port: PROXY_PORT }],
                      },
                      // In-cluster destinations stay direct (NO_PROXY has .svc); addresses go through the proxy.
                      ...network.rules.computerEgress.filter((rule) => rule.namespace !== undefined).map(egressRule),
                  ]
                : [dns, ...network.rules.computerEgress.map(egressRule)],
        }),
        "kagent-agent": policy(network.policyNames.kagentAgent, {
            podSelector: kagentPod,
            policyTypes: ["Ingress", "Egress"],
            ingress: [{ from: [kagentNamespace], ports: [{ protocol: "TCP", port: KAGENT_AGENT_PORT }] }],
            egress: [
                dns,
                { to: [{ podSelector: computer }], ports: mcpPorts },
                { to: [kagentNamespace] },
                ...network.rules.agentEgress.map(egressRule),
            ],
        }),
    };

    if (proxy) {
        const ingress: k8s.types.input.networking.v1.NetworkPolicyIngressRule[] = [
            { from: [{ podSelector: computer }], ports: [{ protocol: "TCP", port: PROXY_PORT }] },
        ];
        if (proxy.monitoring) {
            ingress.push({
                from: [
                    {
                        namespaceSelector: namespaceByName(proxy.monitoring.namespace),
                        podSelector: { matchLabels: proxy.monitoring.podLabels },
                    },
                ],
                ports: [{ protocol: "TCP", port: METRICS_PORT }],
            });
        }
        policies["egress-proxy"] = policy(proxy.policyName, {
            podSelector: { matchLabels: proxy.selector },
            policyTypes: ["Ingress", "Egress"],
            ingress,
            egress: [dns, ...proxy.egress.map(egressRule)],
        });
    }

    const viewers = network.rules.vncViewers;
    if (network.viewerPorts.length > 0 && (viewers.namespaces.length > 0 || viewers.cidrs.length > 0)) {
        policies["computer-vnc"] = policy(network.policyNames.computerVnc, {
            podSelector: computer,
            policyTypes: ["Ingress"],
            ingress: [
                {
                    from: [
                        ...viewers.namespaces.map((name) => ({ namespaceSelector: namespaceByName(name) })),
                        ...viewers.cidrs.map((cidr) => ({ ipBlock: { cidr } })),
                    ],
                    ports: network.viewerPorts.map((port) => ({ protocol: "TCP", port })),
                },
            ],
        });
    }
    return policies;
}

/** One operator rule as a NetworkPolicy egress rule; a wide CIDR never opens the private ranges inside it. */
export function egressRule(rule: EgressRule): EgressTarget {
    const ports = rule.ports.length > 0 ? rule.ports.map((port) => ({ protocol: rule.protocol, port })) : undefined;
    if (rule.namespace) {
        const peer: Peer = { namespaceSelector: namespaceByName(rule.namespace) };
        if (rule.podLabels) {
            peer.podSelector = { matchLabels: rule.podLabels };
        }
        return { to: [peer], ports };
    }
    const cidr = parseCidr(rule.cidr!)!;
    const except = PRIVATE_RANGES.filter((range) => strictlyContains(cidr, parseCidr(range)!));
    return { to: [{ ipBlock: except.length > 0 ? { cidr: rule.cidr!, except } : { cidr: rule.cidr! } }], ports };
}
