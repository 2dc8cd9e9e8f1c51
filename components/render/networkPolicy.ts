/** A NetworkPolicy from its plan (plan/network.ts decides every peer and port). */
import { namespaceSelector } from "../contract/labels";
import type { PeerPlan, PolicyPlan, RulePlan } from "../plan/types";
import type { NetworkPolicy } from "./objects";

function peer(plan: PeerPlan) {
    if ("cidr" in plan) {
        return { ipBlock: plan.except ? { cidr: plan.cidr, except: [...plan.except] } : { cidr: plan.cidr } };
    }
    if ("namespace" in plan) {
        return {
            namespaceSelector: namespaceSelector(plan.namespace),
            ...(plan.pods ? { podSelector: { matchLabels: { ...plan.pods } } } : {}),
        };
    }
    if ("namespacesLabelled" in plan) {
        return {
            namespaceSelector: { matchExpressions: [{ key: plan.namespacesLabelled, operator: "Exists" }] },
            podSelector: { matchLabels: { ...plan.pods } },
        };
    }
    return { podSelector: { matchLabels: { ...plan.pods } } };
}

function rule(plan: RulePlan, direction: "from" | "to") {
    return {
        ...(plan.peers ? { [direction]: plan.peers.map(peer) } : {}),
        ...(plan.ports ? { ports: plan.ports.map((port) => ({ ...port })) } : {}),
    };
}

export function networkPolicy(plan: PolicyPlan): NetworkPolicy {
    return {
        apiVersion: "networking.k8s.io/v1",
        kind: "NetworkPolicy",
        metadata: { name: plan.name, namespace: plan.namespace, labels: { ...plan.labels } },
        spec: {
            podSelector: Object.keys(plan.podSelector).length > 0 ? { matchLabels: { ...plan.podSelector } } : {},
            policyTypes: [...plan.policyTypes],
            ...(plan.ingress ? { ingress: plan.ingress.map((r) => rule(r, "from")) } : {}),
            ...(plan.egress ? { egress: plan.egress.map((r) => rule(r, "to")) } : {}),
        },
    };
}
