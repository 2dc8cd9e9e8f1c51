/**
 * Network decisions as data: every NetworkPolicy of the stack as a PolicyPlan (which pods, which peers,
 * which ports), so that render/networkPolicy.ts only spells them out. The agent's own policies are
 * decided here: everything denied, then exactly what the agent needs. Kagent's agent pod and the kagent
 * controller's namespace reach the MCP ports; viewers reach the desktop's viewer ports; the computer
 * and the agent pod reach DNS and what the operator allows. With an egress proxy (network.allowDomains)
 * the computer reaches outside the cluster only through it.
 */
import type { AgentSpec, EgressRule, PlatformSpec } from "../config";
import { parseCidr, strictlyContains } from "../config/network";
import { PROXY_PORT } from "../contract/egressProxy";
import { KAGENT_AGENT_PORT } from "../contract/kagent";
import { agentLabels, computerSelector, kagentPodSelector } from "../contract/labels";
import { agentObjectNames } from "../contract/names";
import { WAKER_PORT } from "../contract/waker";
import type { ContainerPlan } from "./parts";

/** Private, link-local, loopback and carrier-grade NAT ranges: denied unless a rule names them. */
export const PRIVATE_RANGES = [
    "10.0.0.0/8",
    "172.16.0.0/12",
    "192.168.0.0/16",
    "100.64.0.0/10",
    "169.254.0.0/16",
    "127.0.0.0/8",
];

export type Labels = Record<string, string>;

/** Who a rule admits or reaches. */
export type PeerPlan =
    /** Pods of the policy's own namespace. */
    | { pods: Labels }
    /** A namespace by name, or some of its pods. */
    | { namespace: string; pods?: Labels }
    /** Pods of every namespace that carries the label (any value). */
    | { namespacesLabelled: string; pods: Labels }
    /** Addresses; `except` keeps ranges inside it closed. */
    | { cidr: string; except?: string[] };

export interface PortRule {
    protocol: "TCP" | "UDP";
    port: number;
}

/** One ingress or egress rule: no peers means any peer, no ports any port. */
export interface RulePlan {
    peers?: PeerPlan[];
    ports?: PortRule[];
}

export interface PolicyPlan {
    name: string;
    namespace: string;
    labels: Labels;
    /** The pods it applies to; empty: every pod of the namespace. */
    podSelector: Labels;
    policyTypes: ("Ingress" | "Egress")[];
    ingress?: RulePlan[];
    egress?: RulePlan[];
}

export const tcp = (...ports: number[]): PortRule[] => ports.map((port) => ({ protocol: "TCP", port }));

/** Cluster DNS on port 53, over UDP and TCP. */
export function dnsRule(dns: PlatformSpec["network"]["dns"]): RulePlan {
    return {
        peers: [{ namespace: dns.namespace, pods: dns.podLabels }],
        ports: [
            { protocol: "UDP", port: 53 },
            { protocol: "TCP", port: 53 },
        ],
    };
}

/** One operator rule as a NetworkPolicy rule; a wide CIDR never opens the private ranges inside it. */
export function egressRule(rule: EgressRule): RulePlan {
    const ports = rule.ports.length > 0 ? rule.ports.map((port) => ({ protocol: rule.protocol, port })) : undefined;
    if (rule.namespace !== undefined) {
        return { peers: [{ namespace: rule.namespace, ...(rule.podLabels ? { pods: rule.podLabels } : {}) }], ports };
    }
    const cidr = rule.cidr as string;
    const parsed = parseCidr(cidr);
    const except = PRIVATE_RANGES.filter((range) => {
        const inner = parseCidr(range);
        return parsed !== undefined && inner !== undefined && strictlyContains(parsed, inner);
    });
    return { peers: [except.length > 0 ? { cidr, except } : { cidr }], ports };
}

export interface NetworkPlan {
    /** Ports kagent's pod and controller call on the computer. */
    mcpPorts: number[];
    /** Ports viewers may open (VNC, the browser view); none without a desktop. */
    viewerPorts: number[];
    /** The operator's egress rules of the computer (platform's, the agent's, the build service's), as resolved. */
    computerEgress: EgressRule[];
    /** The agent's own policies by key (`<agent>-<key>` names the Pulumi resource). */
    policies: Record<string, PolicyPlan>;
}

/**
 * `proxy`: the agent's egress proxy pods, when it has one; `computerEgress`: the operator's rules plus
 * the build service's (plan/buildService.ts).
 */
export function planNetwork(
    agent: AgentSpec,
    platform: PlatformSpec,
    containers: ContainerPlan[],
    computerEgress: EgressRule[],
    proxy: { selector: Labels } | undefined,
    /** The stack's waker, when the agent sleeps on idle, and the computer's ports it calls. */
    waker?: { peer: PeerPlan; ports: number[] },
): NetworkPlan {
    const names = agentObjectNames(agent.name);
    const ports = containers.flatMap((c) => c.ports);
    const mcpPorts = ports.filter((p) => p.purpose === "mcp").map((p) => p.port);
    const viewerPorts = ports.filter((p) => p.purpose === "vnc" || p.purpose === "browser").map((p) => p.port);
    const policy = (name: string, spec: Omit<PolicyPlan, "name" | "namespace" | "labels">): PolicyPlan => ({
        name,
        namespace: agent.namespace,
        labels: agentLabels(agent.name, "network"),
        ...spec,
    });
    const computer: PeerPlan = { pods: computerSelector(agent.name) };
    const kagentPod: PeerPlan = { pods: kagentPodSelector(agent.name) };
    const kagentNamespace: PeerPlan = { namespace: platform.kagentNamespace };
    const dns = dnsRule(platform.network.dns);

    const policies: Record<string, PolicyPlan> = {
        "default-deny": policy(names.defaultDenyPolicy, { podSelector: {}, policyTypes: ["Ingress", "Egress"] }),
        "computer-mcp": policy(names.computerMcpPolicy, {
            podSelector: computerSelector(agent.name),
            policyTypes: ["Ingress"],
            // The agent's own kagent pod calls the tools; the controller lists them every 60 s.
            ingress: [
                { peers: [kagentPod, kagentNamespace], ports: tcp(...mcpPorts) },
                ...(waker ? [{ peers: [waker.peer], ports: tcp(...waker.ports) }] : []),
            ],
        }),
        "computer-egress": policy(names.computerEgressPolicy, {
            podSelector: computerSelector(agent.name),
            policyTypes: ["Egress"],
            egress: proxy
                ? [
                      dns,
                      { peers: [{ pods: proxy.selector }], ports: tcp(PROXY_PORT) },
                      // In-cluster destinations stay direct (NO_PROXY has .svc); addresses go through the proxy.
                      ...computerEgress.filter((rule) => rule.namespace !== undefined).map(egressRule),
                  ]
                : [dns, ...computerEgress.map(egressRule)],
        }),
        "kagent-agent": policy(names.kagentAgentPolicy, {
            podSelector: kagentPodSelector(agent.name),
            policyTypes: ["Ingress", "Egress"],
            ingress: [{ peers: [kagentNamespace], ports: tcp(KAGENT_AGENT_PORT) }],
            egress: [
                dns,
                waker
                    ? { peers: [waker.peer], ports: tcp(WAKER_PORT) }
                    : { peers: [computer], ports: tcp(...mcpPorts) },
                { peers: [kagentNamespace] },
                ...agent.network.agentEgress.map(egressRule),
            ],
        }),
    };

    const viewers = agent.network.vncViewers;
    if (viewerPorts.length > 0 && (viewers.namespaces.length > 0 || viewers.cidrs.length > 0)) {
        policies["computer-vnc"] = policy(names.computerVncPolicy, {
            podSelector: computerSelector(agent.name),
            policyTypes: ["Ingress"],
            ingress: [
                {
                    peers: [
                        ...viewers.namespaces.map((namespace) => ({ namespace })),
                        ...viewers.cidrs.map((cidr) => ({ cidr })),
                    ],
                    ports: tcp(...viewerPorts),
                },
            ],
        });
    }
    return { mcpPorts, viewerPorts, computerEgress, policies };
}
