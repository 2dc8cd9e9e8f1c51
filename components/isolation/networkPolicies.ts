/**
 * Network policies of an agent's namespace: everything denied, then exactly what the agent needs.
 * Kagent's agent pod (`app: kagent`, `kagent: <name>`) and the kagent controller's namespace reach
 * the MCP ports; viewers reach VNC; the computer and the agent pod reach DNS and what the operator allows.
 */
import * as k8s from "@pulumi/kubernetes";
import { AgentSpec, EgressRule, PlatformSpec } from "../config";
import { parseCidr, strictlyContains } from "../config/network";
import { agentLabels, computerSelector } from "../labels";
import { PORTS } from "../naming";

type NetworkPolicy = k8s.types.input.networking.v1.NetworkPolicy;
type Peer = k8s.types.input.networking.v1.NetworkPolicyPeer;
type Port = k8s.types.input.networking.v1.NetworkPolicyPort;
type EgressTarget = k8s.types.input.networking.v1.NetworkPolicyEgressRule;

/** Private, link-local, loopback and carrier-grade NAT ranges: denied unless a rule names them. */
export const PRIVATE_RANGES = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "169.254.0.0/16", "127.0.0.0/8"];

/** Kagent's agent runtime serves A2A here; kagent's UI and controller call it. */
export const KAGENT_AGENT_PORT = 8080;

export function kagentPodSelector(agent: string): Record<string, string> {
    return { app: "kagent", kagent: agent };
}

const namespaceByName = (name: string) => ({ matchLabels: { "kubernetes.io/metadata.name": name } });

export function networkPolicies(agent: AgentSpec, platform: PlatformSpec): NetworkPolicy[] {
    const metadata = (suffix: string) => ({
        name: `${agent.name}-${suffix}`,
        namespace: agent.namespace,
        labels: agentLabels(agent.name, "network"),
    });
    const computer = { matchLabels: computerSelector(agent.name) };
    const kagentPod = { matchLabels: kagentPodSelector(agent.name) };
    const kagentNamespace: Peer = { namespaceSelector: namespaceByName(platform.kagentNamespace) };
    const dns: EgressTarget = {
        to: [{ namespaceSelector: namespaceByName(platform.network.dns.namespace), podSelector: { matchLabels: platform.network.dns.podLabels } }],
        ports: [{ protocol: "UDP", port: 53 }, { protocol: "TCP", port: 53 }],
    };
    const mcpPorts: Port[] = [{ protocol: "TCP", port: PORTS.shell }];
    if (agent.desktop.enabled) {
        mcpPorts.unshift({ protocol: "TCP", port: PORTS.computerControl });
    }

    const policies: NetworkPolicy[] = [
        {
            apiVersion: "networking.k8s.io/v1",
            kind: "NetworkPolicy",
            metadata: metadata("default-deny"),
            spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"] },
        },
        {
            apiVersion: "networking.k8s.io/v1",
            kind: "NetworkPolicy",
            metadata: metadata("computer-mcp"),
            spec: {
                podSelector: computer,
                policyTypes: ["Ingress"],
                // The agent's own kagent pod calls the tools; the controller lists them every 60 s.
                ingress: [{ from: [{ podSelector: kagentPod }, kagentNamespace], ports: mcpPorts }],
            },
        },
        {
            apiVersion: "networking.k8s.io/v1",
            kind: "NetworkPolicy",
            metadata: metadata("computer-egress"),
            spec: {
                podSelector: computer,
                policyTypes: ["Egress"],
                egress: [dns, ...agent.network.computerEgress.map(egressRule)],
            },
        },
        {
            apiVersion: "networking.k8s.io/v1",
            kind: "NetworkPolicy",
            metadata: metadata("kagent-agent"),
            spec: {
                podSelector: kagentPod,
                policyTypes: ["Ingress", "Egress"],
                ingress: [{ from: [kagentNamespace], ports: [{ protocol: "TCP", port: KAGENT_AGENT_PORT }] }],
                egress: [
                    dns,
                    { to: [{ podSelector: computer }], ports: mcpPorts },
                    { to: [kagentNamespace] },
                    ...agent.network.agentEgress.map(egressRule),
                ],
            },
        },
    ];

    const viewers = agent.network.vncViewers;
    if (agent.desktop.enabled && (viewers.namespaces.length > 0 || viewers.cidrs.length > 0)) {
        policies.push({
            apiVersion: "networking.k8s.io/v1",
            kind: "NetworkPolicy",
            metadata: metadata("computer-vnc"),
            spec: {
                podSelector: computer,
                policyTypes: ["Ingress"],
                ingress: [{
                    from: [
                        ...viewers.namespaces.map((name) => ({ namespaceSelector: namespaceByName(name) })),
                        ...viewers.cidrs.map((cidr) => ({ ipBlock: { cidr } })),
                    ],
                    ports: [{ protocol: "TCP", port: PORTS.vnc }],
                }],
            },
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
