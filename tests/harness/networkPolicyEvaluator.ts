/**
 * Decides whether Kubernetes NetworkPolicies allow a connection, following the API's semantics: a pod
 * selected by no policy of a direction is open in that direction; a selected pod admits only what
 * some selecting policy's rules allow; a connection needs the source's egress and the target's ingress.
 * Only what the stack uses is supported (matchLabels, `Exists` expressions, ipBlock, numeric ports);
 * anything else throws.
 */
import { addressInCidr } from "../../components/config/network";

export interface Endpoint {
    /** Pods have a namespace and labels; outside addresses only an IP. */
    namespace?: string;
    labels?: Record<string, string>;
    ip?: string;
}

export interface Cluster {
    policies: any[];
    namespaceLabels: Record<string, Record<string, string>>;
}

export function allowed(cluster: Cluster, from: Endpoint, to: Endpoint, port: number, protocol = "TCP"): boolean {
    return (
        direction(cluster, from, to, port, protocol, "Egress") &&
        direction(cluster, to, from, port, protocol, "Ingress")
    );
}

function direction(
    cluster: Cluster,
    pod: Endpoint,
    peer: Endpoint,
    port: number,
    protocol: string,
    type: "Ingress" | "Egress",
): boolean {
    if (pod.namespace === undefined) {
        return true; // outside the cluster: no policy applies
    }
    const selecting = cluster.policies.filter(
        (policy) =>
            policy.metadata.namespace === pod.namespace &&
            (policy.spec.policyTypes ?? ["Ingress"]).includes(type) &&
            selects(policy.spec.podSelector, pod.labels ?? {}),
    );
    if (selecting.length === 0) {
        return true;
    }
    const rulesKey = type === "Ingress" ? "ingress" : "egress";
    const peersKey = type === "Ingress" ? "from" : "to";
    return selecting.some((policy) =>
        (policy.spec[rulesKey] ?? []).some(
            (rule: any) =>
                portMatches(rule.ports, port, protocol) &&
                (rule[peersKey] === undefined ||
                    rule[peersKey].some((p: any) => peerMatches(cluster, policy.metadata.namespace, p, peer))),
        ),
    );
}

function selects(selector: any, labels: Record<string, string>): boolean {
    for (const expression of selector.matchExpressions ?? []) {
        if (expression.operator !== "Exists") {
            throw new Error(`matchExpressions operator ${expression.operator} is not supported by this evaluator`);
        }
        if (!(expression.key in labels)) {
            return false;
        }
    }
    return Object.entries(selector.matchLabels ?? {}).every(([key, value]) => labels[key] === value);
}

function portMatches(ports: any[] | undefined, port: number, protocol: string): boolean {
    if (!ports || ports.length === 0) {
        return true;
    }
    return ports.some((p) => {
        if (typeof p.port === "string") {
            throw new Error(`named port ${p.port} is not supported by this evaluator`);
        }
        return (
            (p.protocol ?? "TCP") === protocol &&
            (p.port === undefined || (port >= p.port && port <= (p.endPort ?? p.port)))
        );
    });
}

function peerMatches(cluster: Cluster, policyNamespace: string, peer: any, endpoint: Endpoint): boolean {
    if (peer.ipBlock) {
        if (!endpoint.ip) {
            return false;
        }
        return (
            inCidr(endpoint.ip, peer.ipBlock.cidr) &&
            !(peer.ipBlock.except ?? []).some((c: string) => inCidr(endpoint.ip!, c))
        );
    }
    if (endpoint.namespace === undefined) {
        return false;
    }
    const namespaceOk = peer.namespaceSelector
        ? selects(peer.namespaceSelector, cluster.namespaceLabels[endpoint.namespace] ?? {})
        : endpoint.namespace === policyNamespace;
    const podOk = peer.podSelector ? selects(peer.podSelector, endpoint.labels ?? {}) : true;
    return namespaceOk && podOk;
}

/** The stack's own CIDR arithmetic (ipaddr.js), one implementation for the program and its tests. */
const inCidr = addressInCidr;
