/**
 * The browser view of an agent's desktop (images/browser-view, container `browser-view` on port 6080 of
 * the computer pod): what the stack adds around the container the plan puts in the pod.
 *
 * - the `<agent>-browser-view` ConfigMap holding the mode (`view-only` or `interactive`), mounted as a
 *   volume so that a change reaches the running server without a restart;
 * - when `platform.browserView.host` is set: an Ingress per agent at `<agent>.<host>` (one origin per
 *   agent, so one agent's session cookie is never sent to another's view), with the operator's
 *   annotations (oauth2-proxy, the cluster's auth middleware), and a NetworkPolicy admitting the ingress
 *   controller's namespace to port 6080 only. The viewers of `network.vncViewers` reach 6080 through the
 *   agent's viewer policy, like VNC.
 *
 * Plain objects, registered by PersistentAgent like the monitoring and backup ones.
 */
import { AgentSpec, PlatformSpec } from "../config";
import { agentLabels, computerSelector } from "../contract/labels";
import { agentObjectNames } from "../contract/names";
import type { KubernetesObject } from "../resources/register";
import { BROWSER_VIEW_MODE_KEY, PORTS, PORT_NAMES } from "../contract/pod";

export interface BrowserViewPlan {
    agent: string;
    namespace: string;
    mode: "view-only" | "interactive";
    configMapName: string;
    labels: Record<string, string>;
    /** The URL to open, and for clusters without a route, the port-forward that makes it work. */
    url: string;
    portForward: string;
    route?: {
        ingressName: string;
        policyName: string;
        host: string;
        ingressClassName?: string;
        tlsSecretName?: string;
        annotations: Record<string, string>;
        ingressNamespace: string;
        serviceName: string;
        computerSelector: Record<string, string>;
    };
}

export function planBrowserView(agent: AgentSpec, platform: PlatformSpec): BrowserViewPlan | undefined {
    if (!agent.desktop.browserView.enabled) {
        return undefined;
    }
    const names = agentObjectNames(agent.name);
    const settings = platform.browserView;
    const host = settings.host ? `${agent.name}.${settings.host}` : undefined;
    return {
        agent: agent.name,
        namespace: agent.namespace,
        mode: agent.desktop.browserView.mode,
        configMapName: names.browserViewConfig,
        labels: agentLabels(agent.name, "browser-view"),
        url: host ? `https://${host}/` : `http://127.0.0.1:${PORTS.browserView}/`,
        portForward: `kubectl -n ${agent.namespace} port-forward svc/${names.computer} ${PORTS.browserView}:${PORTS.browserView}`,
        route:
            host === undefined
                ? undefined
                : {
                      ingressName: names.browserViewConfig,
                      policyName: names.browserViewIngressPolicy,
                      host,
                      ingressClassName: settings.ingressClassName,
                      tlsSecretName: settings.tlsSecretName,
                      annotations: settings.annotations,
                      ingressNamespace: settings.ingressNamespace,
                      serviceName: names.computer,
                      computerSelector: computerSelector(agent.name),
                  },
    };
}

export function browserViewObjects(plan: BrowserViewPlan): KubernetesObject[] {
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
                    namespace: plan.namespace,
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
                                            service: {
                                                name: route.serviceName,
                                                port: { name: PORT_NAMES.browserView },
                                            },
                                        },
                                    },
                                ],
                            },
                        },
                    ],
                },
            },
            {
                apiVersion: "networking.k8s.io/v1",
                kind: "NetworkPolicy",
                metadata: {
                    name: route.policyName,
                    namespace: plan.namespace,
                    labels: agentLabels(plan.agent, "network"),
                },
                spec: {
                    podSelector: { matchLabels: route.computerSelector },
                    policyTypes: ["Ingress"],
                    ingress: [
                        {
                            from: [
                                {
                                    namespaceSelector: {
                                        matchLabels: { "kubernetes.io/metadata.name": route.ingressNamespace },
                                    },
                                },
                            ],
                            ports: [{ protocol: "TCP", port: PORTS.browserView }],
                        },
                    ],
                },
            },
        );
    }
    return objects;
}

/** For the stack's outputs: where to open the view, and how without a route. */
export function browserViewEndpoint(
    plan: BrowserViewPlan | undefined,
): { url: string; portForward: string; mode: string } | undefined {
    return plan && { url: plan.url, portForward: plan.portForward, mode: plan.mode };
}
