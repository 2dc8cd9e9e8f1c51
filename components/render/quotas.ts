/** The ResourceQuota and LimitRange of an agent's namespace, from the plan's figures (plan/quotas.ts). */
import type { QuotaPlan } from "../plan/types";
import type { Rendered } from "./objects";

export function quotaObjects(quota: QuotaPlan): Rendered[] {
    const metadata = (name: string) => ({ name, namespace: quota.namespace, labels: quota.labels });
    return [
        {
            key: "quota",
            object: {
                apiVersion: "v1",
                kind: "ResourceQuota",
                metadata: metadata(quota.quotaName),
                spec: { hard: quota.hard },
            },
        },
        {
            // Defaults for containers that set nothing, and a ceiling no single container or claim may pass.
            key: "limits",
            object: {
                apiVersion: "v1",
                kind: "LimitRange",
                metadata: metadata(quota.limitRangeName),
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
            },
        },
    ];
}
