/**
 * Sleeping computers (docs/architecture.md, "Sleeping computers"): with `platform.suspend.enabled`, one
 * waker per stack in its own namespace stands between kagent and the MCP servers of every agent that may
 * sleep. It scales an idle computer to zero and back on the next tool call, which it holds until the
 * computer answers. What an agent that sleeps gets: kagent's RemoteMCPServers point at the waker, its
 * Deployment leaves `replicas` to the waker (so neither a sleep nor a wake is drift), a Role in its
 * namespace lets the waker scale that one Deployment and read that one Secret, and its policies admit the
 * waker. Everything else of the agent (claims, Secret, Services, Kagent objects, policies) stays while it
 * sleeps. Why our own small waker and not KEDA's HTTP add-on or Knative: docs/architecture.md.
 */
import type { AgentSpec, PlatformSpec } from "../config";
import { agentLabels, computerSelector, kagentPodSelector } from "../contract/labels";
import { agentObjectNames, serviceHost } from "../contract/names";
import { CONTAINERS, HEALTH_PATH, PORTS, SECRET_KEYS } from "../contract/pod";
import {
    WAKER_METRICS_PORT,
    WAKER_METRICS_PORT_NAME,
    WAKER_NAME,
    WAKER_POD_LABELS,
    WAKER_PORT,
    WAKER_ROUTES_DIR,
    WAKER_ROUTES_FILE,
} from "../contract/waker";
import type { PodMonitorPlan } from "./monitoring";
import { dnsRule, type PeerPlan, type PolicyPlan, tcp } from "./network";
import type { ContainerPlan } from "./parts";

/** The waker as the agents' plans need it (planned before them, like the build service). */
export interface WakerService {
    namespace: string;
    /** `http://waker.<namespace>.svc.cluster.local:8080`. */
    url: string;
    /** The waker's pods, for the agents' policies. */
    peer: PeerPlan;
}

/** One entry of the waker's routes file (images/waker/src/routes.ts reads exactly this). */
export interface WakerRoute {
    name: string;
    namespace: string;
    deployment: string;
    idleAfterSeconds: number;
    wakeTimeoutSeconds: number;
    token: { secret: string; key: string };
    servers: Partial<Record<"shell" | "computer-control", { url: string; health: string }>>;
    jobsMetricsUrl: string;
    /**
     * The browser view's base URL: the waker serves it (a visit wakes) and asks its /activity; `host`, the
     * Host its Ingress sends (platform.browserView.host), which the waker serves the view at the root of.
     */
    view?: { url: string; host?: string };
}

export interface RoleRulePlan {
    apiGroups: string[];
    resources: string[];
    verbs: string[];
    resourceNames: string[];
}

/** What an agent that sleeps adds to its plan. */
export interface AgentSleepPlan {
    idleAfterSeconds: number;
    wakeTimeoutSeconds: number;
    route: WakerRoute;
    /** The computer's ports the waker calls: MCP, the shell's metrics, the browser view's activity. */
    ports: number[];
    /** Role and RoleBinding `<agent>-waker` in the agent's namespace, for the waker's ServiceAccount. */
    access: {
        name: string;
        namespace: string;
        labels: Record<string, string>;
        rules: RoleRulePlan[];
        subject: { namespace: string; serviceAccount: string };
    };
}

export interface WakerPlan {
    namespace: string;
    namespaceLabels: Record<string, string>;
    /** Deployment, Service, ServiceAccount, routes ConfigMap and NetworkPolicy. */
    name: string;
    labels: Record<string, string>;
    port: number;
    metricsPort: number;
    routesDir: string;
    routesFile: string;
    routes: { agents: WakerRoute[] };
    policies: { defaultDeny: PolicyPlan; waker: PolicyPlan };
    resources: { requests: { cpu: string; memory: string }; limits: { cpu: string; memory: string } };
    /** A PodMonitor for the waker's metrics, with monitoring on. */
    podMonitor?: PodMonitorPlan;
}

export function planWakerService(platform: Pick<PlatformSpec, "suspend">): WakerService | undefined {
    if (!platform.suspend.enabled) {
        return undefined;
    }
    const namespace = platform.suspend.namespace;
    return {
        namespace,
        url: `http://${serviceHost(WAKER_NAME, namespace)}:${WAKER_PORT}`,
        peer: { namespace, pods: { ...WAKER_POD_LABELS } },
    };
}

/** The stack's waker when this agent sleeps on idle through it (its tools and browser view go there), else undefined. */
export function wakerOf(agent: AgentSpec, waker: WakerService | undefined): WakerService | undefined {
    return agent.sleep ? waker : undefined;
}

/**
 * The agent's side, when it sleeps (config: `suspend.idleAfter`, checked against the waker's presence);
 * `viewHost`, its browser view's Ingress host when it has one (that Ingress goes to the waker).
 */
export function planAgentSleep(
    agent: AgentSpec,
    waker: WakerService | undefined,
    containers: ContainerPlan[],
    viewHost?: string,
): AgentSleepPlan | undefined {
    const through = wakerOf(agent, waker);
    if (!through || !agent.sleep) {
        return undefined;
    }
    const names = agentObjectNames(agent.name);
    const host = serviceHost(names.computer, agent.namespace);
    const servers: WakerRoute["servers"] = {};
    for (const role of ["shell", "computerControl"] as const) {
        if (containers.some((c) => c.role === role)) {
            servers[CONTAINERS[role].name as "shell" | "computer-control"] = {
                url: `http://${host}:${PORTS[role]}`,
                health: HEALTH_PATH,
            };
        }
    }
    const browserView = containers.some((c) => c.role === "browserView");
    const ports = [
        ...(["shell", "computerControl"] as const)
            .filter((role) => servers[CONTAINERS[role].name as "shell"])
            .map((role) => PORTS[role]),
        PORTS.shellMetrics,
        ...(browserView ? [PORTS.browserView] : []),
    ];
    return {
        ...agent.sleep,
        ports,
        route: {
            name: agent.name,
            namespace: agent.namespace,
            deployment: names.computer,
            ...agent.sleep,
            token: { secret: names.credentials, key: SECRET_KEYS.mcpToken },
            servers,
            jobsMetricsUrl: `http://${host}:${PORTS.shellMetrics}/metrics`,
            ...(browserView
                ? { view: { url: `http://${host}:${PORTS.browserView}`, ...(viewHost ? { host: viewHost } : {}) } }
                : {}),
        },
        access: {
            name: `${agent.name}-${WAKER_NAME}`,
            namespace: agent.namespace,
            labels: agentLabels(agent.name, "computer"),
            // Exactly what images/waker/src/cluster.ts does, on this agent's objects only.
            rules: [
                {
                    apiGroups: ["apps"],
                    resources: ["deployments"],
                    verbs: ["get", "patch"],
                    resourceNames: [names.computer],
                },
                {
                    apiGroups: ["apps"],
                    resources: ["deployments/scale"],
                    verbs: ["get", "patch"],
                    resourceNames: [names.computer],
                },
                { apiGroups: [""], resources: ["secrets"], verbs: ["get"], resourceNames: [names.credentials] },
            ],
            subject: { namespace: through.namespace, serviceAccount: WAKER_NAME },
        },
    };
}

/** The stack's waker, from the agents that sleep. */
export function planWaker(
    service: WakerService,
    sleeping: { agent: string; namespace: string; sleep: AgentSleepPlan }[],
    platform: Pick<PlatformSpec, "kagentNamespace" | "network" | "apiServer" | "monitoring" | "browserView">,
): WakerPlan {
    const namespace = service.namespace;
    const labels = { ...WAKER_POD_LABELS };
    const policy = (name: string, spec: Omit<PolicyPlan, "name" | "namespace" | "labels">): PolicyPlan => ({
        name,
        namespace,
        labels,
        ...spec,
    });
    const monitoring = platform.monitoring;
    return {
        namespace,
        namespaceLabels: {
            ...labels,
            "pod-security.kubernetes.io/enforce": "restricted",
            "pod-security.kubernetes.io/enforce-version": "latest",
        },
        name: WAKER_NAME,
        labels,
        port: WAKER_PORT,
        metricsPort: WAKER_METRICS_PORT,
        routesDir: WAKER_ROUTES_DIR,
        routesFile: WAKER_ROUTES_FILE,
        routes: { agents: sleeping.map(({ sleep }) => sleep.route) },
        policies: {
            defaultDeny: policy(`${WAKER_NAME}-default-deny`, { podSelector: {}, policyTypes: ["Ingress", "Egress"] }),
            waker: policy(WAKER_NAME, {
                podSelector: labels,
                policyTypes: ["Ingress", "Egress"],
                ingress: [
                    // Kagent's controller and each sleeping agent's kagent pod (in the agent's namespace) call
                    // the MCP routes; the waker checks the route's own token, so one agent's pod cannot wake another.
                    {
                        peers: [
                            { namespace: platform.kagentNamespace },
                            ...sleeping.map(({ agent, namespace: agentNamespace }) => ({
                                namespace: agentNamespace,
                                pods: kagentPodSelector(agent),
                            })),
                        ],
                        ports: tcp(WAKER_PORT),
                    },
                    // The ingress controller, for the browser views whose Ingress goes through the waker.
                    ...(sleeping.some(({ sleep }) => sleep.route.view?.host !== undefined)
                        ? [{ peers: [{ namespace: platform.browserView.ingressNamespace }], ports: tcp(WAKER_PORT) }]
                        : []),
                    ...(monitoring.enabled
                        ? [
                              {
                                  peers: [{ namespace: monitoring.namespace, pods: monitoring.prometheusPodLabels }],
                                  ports: tcp(WAKER_METRICS_PORT),
                              },
                          ]
                        : []),
                ],
                egress: [
                    dnsRule(platform.network.dns),
                    {
                        peers: platform.apiServer.cidrs.map((cidr) => ({ cidr })),
                        ports: tcp(...platform.apiServer.ports),
                    },
                    ...sleeping.map(({ agent, namespace: agentNamespace, sleep }) => ({
                        peers: [{ namespace: agentNamespace, pods: computerSelector(agent) }],
                        ports: tcp(...sleep.ports),
                    })),
                ],
            }),
        },
        // Measured on the node: 82 MiB working set idle (docs/benchmarks.md, "Sleep and wake"); the request holds
        // that with room for viewers' WebSockets and discovery answers in flight.
        resources: { requests: { cpu: "20m", memory: "128Mi" }, limits: { cpu: "500m", memory: "256Mi" } },
        podMonitor: monitoring.enabled
            ? {
                  name: WAKER_NAME,
                  namespace,
                  labels: { ...labels, ...monitoring.selectorLabels },
                  selector: labels,
                  ports: [WAKER_METRICS_PORT_NAME],
                  interval: monitoring.scrapeInterval,
              }
            : undefined,
    };
}
