/**
 * The browser view of an agent's desktop (images/browser-view, container `browser-view` on port 6080 of
 * the computer pod, planned in plan/containers.ts): what the stack adds around that container.
 *
 * - the `<agent>-browser-view` ConfigMap holding the mode (`view-only` or `interactive`), mounted as a
 *   volume so that a change reaches the running server without a restart;
 * - when `platform.browserView.host` is set: an Ingress per agent at `<agent>.<host>` (one origin per
 *   agent, so one agent's session cookie is never sent to another's view), with the operator's
 *   annotations (oauth2-proxy, the cluster's auth middleware), and a NetworkPolicy admitting the ingress
 *   controller's namespace to port 6080 only. The viewers of `network.vncViewers` reach 6080 through the
 *   agent's viewer policy, like VNC.
 * - for an agent that sleeps on idle, that Ingress goes to the waker instead (in the waker's namespace, an
 *   Ingress's backend being a Service of its own namespace): the waker serves the view by the Host header
 *   and wakes the computer on a visit, and its own policy admits the ingress controller.
 */
import type { AgentSpec, PlatformSpec } from "../config";
import { agentLabels, computerSelector } from "../contract/labels";
import { agentObjectNames, browserViewHost } from "../contract/names";
import { PORT_NAMES, PORTS } from "../contract/pod";
import { WAKER_NAME, WAKER_PORT_NAME } from "../contract/waker";
import { type PolicyPlan, tcp } from "./network";
import type { WakerService } from "./waker";

export interface BrowserViewPlan {
    namespace: string;
    mode: "view-only" | "interactive";
    configMapName: string;
    labels: Record<string, string>;
    /** The URL to open, and for clusters without a route, the port-forward that makes it work. */
    url: string;
    portForward: string;
    route?: {
        ingressName: string;
        /** The agent's namespace, or the waker's when the agent sleeps. */
        namespace: string;
        host: string;
        ingressClassName?: string;
        tlsSecretName?: string;
        annotations: Record<string, string>;
        /** The Service the Ingress sends to and its port: the computer's, or the waker's. */
        serviceName: string;
        servicePort: string;
        /** Admits the ingress controller's namespace to the view's port (none through the waker: its policy does). */
        policy?: PolicyPlan;
    };
}

/** `waker`: the stack's waker when this agent sleeps on idle (its Ingress then goes through the waker). */
export function planBrowserView(
    agent: AgentSpec,
    platform: PlatformSpec,
    waker?: WakerService,
): BrowserViewPlan | undefined {
    if (!agent.desktop.browserView.enabled) {
        return undefined;
    }
    const names = agentObjectNames(agent.name);
    const settings = platform.browserView;
    const host = settings.host ? browserViewHost(agent.name, settings.host) : undefined;
    return {
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
                      host,
                      ingressClassName: settings.ingressClassName,
                      tlsSecretName: settings.tlsSecretName,
                      annotations: settings.annotations,
                      ...(waker
                          ? { namespace: waker.namespace, serviceName: WAKER_NAME, servicePort: WAKER_PORT_NAME }
                          : {
                                namespace: agent.namespace,
                                serviceName: names.computer,
                                servicePort: PORT_NAMES.browserView,
                                policy: browserViewIngressPolicy(agent, settings.ingressNamespace),
                            }),
                  },
    };
}

function browserViewIngressPolicy(agent: AgentSpec, ingressNamespace: string): PolicyPlan {
    return {
        name: agentObjectNames(agent.name).browserViewIngressPolicy,
        namespace: agent.namespace,
        labels: agentLabels(agent.name, "network"),
        podSelector: computerSelector(agent.name),
        policyTypes: ["Ingress"],
        ingress: [{ peers: [{ namespace: ingressNamespace }], ports: tcp(PORTS.browserView) }],
    };
}
