/**
 * The waker's objects as its plan says (plan/waker.ts): per stack its namespace, policies, ServiceAccount,
 * routes ConfigMap, Deployment, Service and PodMonitor; per sleeping agent the Role and RoleBinding in the
 * agent's namespace that let it scale that agent's computer and read its token.
 */
import { createHash } from "node:crypto";
import { AGENT_UID, HEALTH_PATH } from "../contract/pod";
import { WAKER_METRICS_PORT_NAME, WAKER_PORT_NAME } from "../contract/waker";
import type { AgentSleepPlan, WakerPlan } from "../plan/types";
import { podMonitor } from "./monitoring";
import { networkPolicy } from "./networkPolicy";
import {
    type ImageRefs,
    imageRef,
    type KubernetesObject,
    namespaceObject,
    type Rendered,
    restrictedContainerSecurity,
    restrictedPodSecurity,
} from "./objects";

const ROUTES_HASH_ANNOTATION = "persistent-agents.dev/routes-sha256";

export interface WakerObjects {
    namespace: Rendered;
    /** In the namespace: its policies first, then the waker. */
    inNamespace: Rendered[];
}

export function wakerObjects(plan: WakerPlan, images: ImageRefs): WakerObjects {
    const metadata = { name: plan.name, namespace: plan.namespace, labels: plan.labels };
    const routes = JSON.stringify(plan.routes, null, 2);
    const objects: KubernetesObject[] = [
        { apiVersion: "v1", kind: "ServiceAccount", metadata },
        { apiVersion: "v1", kind: "ConfigMap", metadata, data: { [plan.routesFile]: routes } },
        {
            apiVersion: "v1",
            kind: "Service",
            metadata,
            spec: {
                selector: plan.labels,
                ports: [{ name: WAKER_PORT_NAME, port: plan.port, targetPort: WAKER_PORT_NAME, protocol: "TCP" }],
            },
        },
        {
            apiVersion: "apps/v1",
            kind: "Deployment",
            metadata,
            spec: {
                replicas: 1,
                selector: { matchLabels: plan.labels },
                template: {
                    // A new routes file restarts the waker (it reads the file once, at start).
                    metadata: {
                        labels: plan.labels,
                        annotations: {
                            [ROUTES_HASH_ANNOTATION]: createHash("sha256").update(routes).digest("hex").slice(0, 16),
                        },
                    },
                    spec: {
                        serviceAccountName: plan.name,
                        enableServiceLinks: false,
                        securityContext: restrictedPodSecurity(AGENT_UID),
                        containers: [
                            {
                                name: "waker",
                                image: imageRef(images, "waker", "the waker"),
                                imagePullPolicy: "IfNotPresent",
                                env: [{ name: "WAKER_ROUTES", value: `${plan.routesDir}/${plan.routesFile}` }],
                                ports: [
                                    { name: WAKER_PORT_NAME, containerPort: plan.port },
                                    { name: WAKER_METRICS_PORT_NAME, containerPort: plan.metricsPort },
                                ],
                                volumeMounts: [{ name: "routes", mountPath: plan.routesDir, readOnly: true }],
                                readinessProbe: {
                                    httpGet: { path: HEALTH_PATH, port: WAKER_PORT_NAME },
                                    periodSeconds: 5,
                                },
                                livenessProbe: {
                                    httpGet: { path: HEALTH_PATH, port: WAKER_PORT_NAME },
                                    periodSeconds: 20,
                                    failureThreshold: 3,
                                },
                                resources: structuredClone(plan.resources),
                                securityContext: restrictedContainerSecurity(),
                            },
                        ],
                        volumes: [{ name: "routes", configMap: { name: plan.name } }],
                    },
                },
            },
        },
    ];
    if (plan.podMonitor) {
        objects.push(podMonitor(plan.podMonitor));
    }
    return {
        namespace: namespaceObject(plan.namespace, plan.namespaceLabels),
        inNamespace: [
            { key: "default-deny", object: networkPolicy(plan.policies.defaultDeny) },
            { key: "policy", object: networkPolicy(plan.policies.waker) },
            ...objects.map((object) => ({ key: object.kind.toLowerCase(), object })),
        ],
    };
}

/** The waker's rights in one agent's namespace; keys `waker-role`, `waker-rolebinding`. */
export function wakerAccessObjects(sleep: AgentSleepPlan): Rendered[] {
    const { access } = sleep;
    const metadata = { name: access.name, namespace: access.namespace, labels: access.labels };
    return [
        {
            key: "waker-role",
            object: {
                apiVersion: "rbac.authorization.k8s.io/v1",
                kind: "Role",
                metadata,
                rules: access.rules.map((rule) => ({ ...rule })),
            },
        },
        {
            key: "waker-rolebinding",
            object: {
                apiVersion: "rbac.authorization.k8s.io/v1",
                kind: "RoleBinding",
                metadata,
                roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: access.name },
                subjects: [
                    {
                        kind: "ServiceAccount",
                        name: access.subject.serviceAccount,
                        namespace: access.subject.namespace,
                    },
                ],
            },
        },
    ];
}
