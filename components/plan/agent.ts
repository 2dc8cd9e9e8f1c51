/**
 * `planAgent`: the one place that decides what an agent is made of, from its validated spec, the
 * platform and the stack's shared services. Data flows one way: stack config -> validated spec
 * (components/config) -> plan (here) -> objects (components/render) -> resources (components/resources).
 */
import type { AgentSpec, PlatformSpec } from "../config";
import { agentLabels, computerSelector, RETAIN_ANNOTATION, SUDO_LABEL } from "../contract/labels";
import { agentObjectNames, serviceHost } from "../contract/names";
import { PORTS } from "../contract/pod";
import { SLEEP_ANNOTATIONS } from "../contract/waker";
import { planBackup, workspaceDataSource } from "./backup";
import { planBrowserView } from "./browserView";
import { type BuildServicePlan, buildDaemonClientRule, planBuildDaemon } from "./buildService";
import { planContainers, planVolumes } from "./containers";
import { planCredentials } from "./credentials";
import { admitBuildDaemon, buildProxy, planEgressProxy } from "./egressProxy";
import { planKagent } from "./kagent";
import { planMcpServers } from "./mcpServers";
import { planAgentMonitoring } from "./monitoring";
import { planTelemetry } from "./telemetry";
import { planNetwork } from "./network";
import { planQuota } from "./quotas";
import type { AgentPlan, ClaimPlan, ImageName } from "./types";
import { planVaultAccess } from "./vaultAccess";
import { type WakerService, planAgentSleep, wakerOf } from "./waker";

/** The stack's shared services an agent uses (plan/stack.ts plans them first). */
export interface SharedServices {
    buildService?: BuildServicePlan;
    waker?: WakerService;
}

export function planAgent(agent: AgentSpec, platform: PlatformSpec, shared: SharedServices = {}): AgentPlan {
    const names = agentObjectNames(agent.name);
    const vaultAccess = planVaultAccess(agent, platform);
    const { plan: credentials, files } = planCredentials(agent, platform, vaultAccess.store);
    const egressProxy = planEgressProxy(agent, platform);
    // The agent's builds reach no more than its computer does directly: behind a proxy, only the in-cluster
    // namespaces of its rules and the proxy itself (which filters the rest by name, as a NetworkPolicy cannot).
    const buildDaemon =
        shared.buildService &&
        planBuildDaemon(
            agent,
            platform,
            shared.buildService,
            egressProxy
                ? agent.network.computerEgress.filter((rule) => rule.namespace !== undefined)
                : agent.network.computerEgress,
            egressProxy && buildProxy(egressProxy),
        );
    if (egressProxy && buildDaemon) {
        admitBuildDaemon(egressProxy, buildDaemon);
    }
    const telemetry = planTelemetry(platform);
    const containers = planContainers(
        agent,
        files,
        buildDaemon?.address,
        egressProxy?.computerEnv ?? [],
        telemetry.env,
    );
    const claims: ClaimPlan[] = (
        [
            {
                role: "workspace",
                name: names.workspaceClaim,
                dataSource: workspaceDataSource(agent.storage.restoreFrom),
            },
            { role: "config", name: names.configClaim },
        ] as const
    ).map(({ role, name, ...rest }) => ({
        role,
        name,
        labels: agentLabels(agent.name, role),
        annotations: { [RETAIN_ANNOTATION]: String(agent.storage.retainOnDelete) },
        size: agent.storage[role],
        storageClass: agent.storage.storageClass,
        ...rest,
    }));
    const labels = agentLabels(agent.name, "computer");
    const selector = computerSelector(agent.name);
    // An agent that sleeps is reached through the waker: its tools and its browser view's Ingress.
    const browserView = planBrowserView(agent, platform, wakerOf(agent, shared.waker));
    const sleep = planAgentSleep(agent, shared.waker, containers, browserView?.route?.host);
    const mcpServers = planMcpServers(
        agent,
        containers,
        sleep && shared.waker && { url: shared.waker.url, wakeTimeoutSeconds: sleep.wakeTimeoutSeconds },
    );
    const host = serviceHost(names.computer, agent.namespace);
    const backup = planBackup(agent, platform);
    const network = planNetwork(
        agent,
        platform,
        containers,
        [
            ...agent.network.computerEgress,
            ...(buildDaemon ? [buildDaemonClientRule(buildDaemon)] : []),
            ...(telemetry.egress ? [telemetry.egress] : []),
        ],
        egressProxy,
        sleep && shared.waker && { peer: shared.waker.peer, ports: sleep.ports },
    );
    const images = new Set<ImageName>(containers.map((c) => c.image));
    if (backup?.cronJob) images.add(backup.cronJob.image);
    if (egressProxy) images.add(egressProxy.image);
    if (buildDaemon) images.add("buildkitd");
    const vault = platform.vault;

    return {
        agent: agent.name,
        namespace: {
            name: agent.namespace,
            labels: { ...agentLabels(agent.name, "namespace"), ...podSecurityLabels(agent) },
            // Deleting the namespace would delete the workspace claims in it.
            retainOnDelete: agent.storage.retainOnDelete,
        },
        images: [...images],
        computer: {
            name: names.computer,
            // Asleep or awake is the waker's to say when the agent sleeps on idle: not drift for Pulumi.
            replicas: agent.suspended ? 0 : sleep ? undefined : 1,
            annotations: sleep ? { [SLEEP_ANNOTATIONS.suspended]: String(agent.suspended) } : {},
            labels,
            podLabels: { ...labels, ...selector, ...(agent.sudo ? { [SUDO_LABEL]: "true" } : {}) },
            selector,
            runtimeClassName: agent.runtimeClassName,
            containers,
            volumes: planVolumes(agent.name, containers, files, claims, credentials.secretName),
            servicePorts: containers
                .flatMap((c) => c.ports)
                // The shell's metrics too when the waker asks them whether a job runs (its idle check).
                .filter((p) => p.purpose !== "metrics" || (sleep && p.port === PORTS.shellMetrics))
                .map((p) => ({ name: p.name, port: p.port, targetPort: p.name })),
            claims,
            retainOnDelete: agent.storage.retainOnDelete,
            passwordlessSudo: agent.sudo,
        },
        mcpServers,
        credentials,
        vaultAccess,
        kagent: planKagent(agent),
        network,
        quota: planQuota(agent, containers, {
            backup: backup?.cronJob?.resources,
            egressProxy: egressProxy ? Object.values(egressProxy.resources) : undefined,
        }),
        monitoring: planAgentMonitoring(agent, platform.monitoring, containers),
        backup,
        browserView,
        egressProxy,
        buildDaemon,
        sleep,
        endpoints: {
            namespace: agent.namespace,
            serviceHost: host,
            vncEndpoint: agent.desktop.enabled ? `${host}:${PORTS.vnc}` : undefined,
            mcpUrls: Object.fromEntries(mcpServers.map((server) => [server.name, server.url])),
            vaultPaths: {
                provided: `${vault.mount}/${credentials.vaultPaths.provided}`,
                generated: `${vault.mount}/${credentials.vaultPaths.generated}`,
            },
            ...(browserView
                ? {
                      browserView: {
                          url: browserView.url,
                          portForward: browserView.portForward,
                          mode: browserView.mode,
                      },
                  }
                : {}),
            ...(buildDaemon ? { buildkitHost: buildDaemon.address } : {}),
        },
    };
}

/**
 * Pod Security Admission for the agent's namespace: enforced at the agent's level, warned and audited
 * at restricted even where sudo lowers enforcement, so the gap stays visible.
 */
function podSecurityLabels(agent: AgentSpec): Record<string, string> {
    return {
        "pod-security.kubernetes.io/enforce": agent.podSecurity,
        "pod-security.kubernetes.io/enforce-version": "latest",
        "pod-security.kubernetes.io/warn": "restricted",
        "pod-security.kubernetes.io/audit": "restricted",
    };
}
