/** The BuildKit daemon's objects as its plan says (plan/buildService.ts): namespace, Deployment, Service, policy. */
import { BUILDKIT_CACHE_DIR, BUILDKIT_UID } from "../contract/buildService";
import type { BuildServicePlan } from "../plan/types";
import { networkPolicy } from "./networkPolicy";
import type { Rendered } from "./objects";

export interface BuildServiceObjects {
    namespace: Rendered;
    /** In the namespace: the Deployment (`buildkitd`), the Service and the NetworkPolicy. */
    inNamespace: Rendered[];
}

export function buildServiceObjects(plan: BuildServicePlan): BuildServiceObjects {
    const metadata = { name: plan.name, namespace: plan.namespace, labels: plan.labels };
    const probe = { exec: { command: ["buildctl", "debug", "workers"] }, periodSeconds: 30 };
    return {
        namespace: {
            key: "namespace",
            object: {
                apiVersion: "v1",
                kind: "Namespace",
                metadata: { name: plan.namespace, labels: plan.namespaceLabels },
            },
        },
        inNamespace: [
            {
                key: "buildkitd",
                object: {
                    apiVersion: "apps/v1",
                    kind: "Deployment",
                    metadata,
                    spec: {
                        replicas: 1,
                        selector: { matchLabels: plan.labels },
                        template: {
                            metadata: { labels: plan.labels },
                            spec: {
                                automountServiceAccountToken: false,
                                enableServiceLinks: false,
                                containers: [
                                    {
                                        name: "buildkitd",
                                        image: plan.image,
                                        args: plan.args,
                                        ports: [{ name: "buildkit", containerPort: plan.port }],
                                        readinessProbe: probe,
                                        livenessProbe: { ...probe, failureThreshold: 6 },
                                        securityContext: {
                                            runAsUser: BUILDKIT_UID,
                                            runAsGroup: BUILDKIT_UID,
                                            runAsNonRoot: true,
                                            seccompProfile: { type: "Unconfined" },
                                            appArmorProfile: { type: "Unconfined" },
                                        },
                                        resources: structuredClone(plan.resources),
                                        volumeMounts: [{ name: "cache", mountPath: BUILDKIT_CACHE_DIR }],
                                    },
                                ],
                                volumes: [{ name: "cache", emptyDir: { sizeLimit: plan.cacheSize } }],
                            },
                        },
                    },
                },
            },
            {
                key: "service",
                object: {
                    apiVersion: "v1",
                    kind: "Service",
                    metadata,
                    spec: {
                        selector: plan.labels,
                        ports: [{ name: "buildkit", port: plan.port, targetPort: "buildkit" }],
                    },
                },
            },
            { key: "policy", object: networkPolicy(plan.policy) },
        ],
    };
}
