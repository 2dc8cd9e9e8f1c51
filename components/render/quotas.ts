/** Renders the ResourceQuota and LimitRange of an agent's namespace from the plan's figures. */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { AgentPlan } from "../plan";

export function resourceQuota(plan: AgentPlan, namespace: pulumi.Input<string>): k8s.types.input.core.v1.ResourceQuota {
    return {
        apiVersion: "v1",
        kind: "ResourceQuota",
        metadata: { name: plan.quota.quotaName, namespace, labels: plan.quota.labels },
        spec: { hard: plan.quota.hard },
    };
}

/** Defaults for containers that set nothing, and a ceiling no single container or claim may pass. */
export function limitRange(plan: AgentPlan, namespace: pulumi.Input<string>): k8s.types.input.core.v1.LimitRange {
    const quota = plan.quota;
    return {
        apiVersion: "v1",
        kind: "LimitRange",
        metadata: { name: quota.limitRangeName, namespace, labels: quota.labels },
        spec: {
            limits: [
                {
                    type: "Container",
                    default: { ...quota.containerDefaults.limits },
                    defaultRequest: { ...quota.containerDefaults.requests },
                    max: { ...quota.containerMax },
                },
                { type: "PersistentVolumeClaim", max: { storage: quota.claimMax } },
            ],
        },
    };
}
