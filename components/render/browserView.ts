/**
 * The browser view's objects as its plan says (plan/browserView.ts): the mode ConfigMap, and with a
 * route the Ingress (in the waker's namespace for an agent that sleeps) and, for a route straight to the
 * computer, the NetworkPolicy admitting the ingress controller.
 */
import { BROWSER_VIEW_MODE_KEY } from "../contract/pod";
import type { BrowserViewPlan } from "../plan/types";
import { networkPolicy } from "./networkPolicy";
import type { KubernetesObject, Rendered } from "./objects";

/** Keyed `browser-view-<kind>`. */
export function browserViewObjects(plan: BrowserViewPlan): Rendered[] {
    const objects: KubernetesObject[] = [
        {
            apiVersion: "v1",
            kind: "ConfigMap",
            metadata: { name: plan.configMapName, namespace: plan.namespace, labels: plan.labels },
            data: { [BROWSER_VIEW_MODE_KEY]: plan.mode },
        },
    ];
    const route = plan.route;
    if (route) {
        objects.push(
            {
                apiVersion: "networking.k8s.io/v1",
                kind: "Ingress",
                metadata: {
                    name: route.ingressName,
                    namespace: route.namespace,
                    labels: plan.labels,
                    annotations: route.annotations,
                },
                spec: {
                    ...(route.ingressClassName ? { ingressClassName: route.ingressClassName } : {}),
                    ...(route.tlsSecretName ? { tls: [{ hosts: [route.host], secretName: route.tlsSecretName }] } : {}),
                    rules: [
                        {
                            host: route.host,
                            http: {
                                paths: [
                                    {
                                        path: "/",
                                        pathType: "Prefix",
                                        backend: {
                                            service: { name: route.serviceName, port: { name: route.servicePort } },
                                        },
                                    },
                                ],
                            },
                        },
                    ],
                },
            },
            ...(route.policy ? [networkPolicy(route.policy)] : []),
        );
    }
    return objects.map((object) => ({ key: `browser-view-${object.kind.toLowerCase()}`, object }));
}
