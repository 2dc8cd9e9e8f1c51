/**
 * `planAgent`: the one place that decides what an agent is made of, from its validated spec and the
 * platform. Data flows one way: stack config -> validated spec (components/config) -> plan (here) ->
 * resources (the builders, which render the plan and read no flag of their own).
 */
import { workspaceDataSource } from "../render/backup";
import { planBrowserView } from "../render/browserView";
import { BUILDKIT_POD_LABELS, BUILDKIT_PORT, buildServiceAddress } from "../resources/buildService";
import { AgentSpec, EgressRule, PlatformSpec } from "../config";
import { planEgressProxy } from "../render/egressProxy";
import { ageSeconds } from "../config/operationsSchema";
import { agentLabels, computerSelector, kagentPodSelector } from "../contract/labels";
import { agentObjectNames, serviceHost, vaultAccessName } from "../contract/names";
import { PORTS } from "../contract/pod";
import { planContainers, planVolumes } from "./containers";
import { SECRET_KEYS, planCredentials, vaultPaths } from "./credentials";
import { planMcpServers } from "./mcpServers";
import { planQuota } from "./quotas";
import { AgentPlan, ClaimPlan, ImageKey, OperationsPlan, VaultAccessPlan } from "./types";

export * from "./types";
export { AGENT_UID, MCP_PATH, MOUNTS, PORTS, PORT_NAMES, SHELL_MAX_COMMAND_SECONDS } from "../contract/pod";
export { MCP_TIMEOUTS } from "./mcpServers";
export { SECRET_KEYS, vaultPaths } from "./credentials";

/** On the computer pod of an agent with `sudo: true`: the policy pack admits escalation only with it. */
export const SUDO_LABEL = "persistent-agents.dev/sudo";

export function planAgent(agent: AgentSpec, platform: PlatformSpec): AgentPlan {
    const names = agentObjectNames(agent.name);
    const { plan: credentials, files } = planCredentials(agent, platform);
    const buildService = platform.buildService;
    const egressProxy = planEgressProxy(agent, platform, platform.monitoring);
    // With a proxy, every container of the computer sends its HTTP(S) there (git, pip, npm, curl read these).
    const containers = planContainers(
        agent,
        files,
        buildService.enabled ? buildServiceAddress(buildService.namespace) : undefined,
    ).map((container) =>
        egressProxy ? { ...container, env: [...container.env, ...egressProxy.computerEnv] } : container,
    );
    const claims: ClaimPlan[] = [
        {
            role: "workspace",
            name: names.workspaceClaim,
            size: agent.storage.workspace,
            storageClass: agent.storage.storageClass,
            dataSource: workspaceDataSource(agent.storage.restoreFrom),
        },
        {
            role: "config",
            name: names.configClaim,
            size: agent.storage.config,
            storageClass: agent.storage.storageClass,
        },
    ];
    const labels = agentLabels(agent.name, "computer");
    const selector = computerSelector(agent.name);
    const mcpServers = planMcpServers(agent, containers);
    const ports = containers.flatMap((c) => c.ports);
    const host = serviceHost(agent.name, agent.namespace);
    const operations = planOperations(agent, platform, names.workspaceClaim);

    return {
        agent: agent.name,
        namespace: agent.namespace,
        namespaceLabels: { ...agentLabels(agent.name, "namespace"), ...podSecurityLabels(agent) },
        podSecurity: agent.podSecurity,
        images: [
            ...new Set<ImageKey>([...containers.map((c) => c.image), ...(egressProxy ? ["egressProxy" as const] : [])]),
        ],
        computer: {
            name: names.computer,
            replicas: agent.suspended ? 0 : 1,
            labels,
            podLabels: { ...labels, ...selector, ...(agent.sudo ? { [SUDO_LABEL]: "true" } : {}) },
            selector,
            runtimeClassName: agent.runtimeClassName,
            containers,
            volumes: planVolumes(agent, containers, files, claims, credentials.secretName),
            servicePorts: ports
                .filter((p) => p.purpose !== "metrics")
                .map((p) => ({ name: p.name, port: p.port, targetPort: p.name })),
            claims,
            retainOnDelete: agent.storage.retainOnDelete,
            passwordlessSudo: agent.sudo,
        },
        mcpServers,
        credentials,
        vaultAccess: planVaultAccess(agent, platform),
        kagent: {
            agentName: names.agent,
            modelConfigName: names.modelConfig,
            description: agent.description,
            systemMessage: agent.systemMessage,
            model: agent.model,
            replicas: agent.suspended ? 0 : 1,
            resources: agent.resources.kagent,
            labels: agentLabels(agent.name, "kagent"),
            tokenGeneration: String(agent.rotation.mcpToken),
            modelKeySecretKey: SECRET_KEYS.modelApiKey,
            authorizationSecretKey: SECRET_KEYS.authorization,
        },
        network: {
            labels: agentLabels(agent.name, "network"),
            policyNames: {
                defaultDeny: names.defaultDenyPolicy,
                computerMcp: names.computerMcpPolicy,
                computerEgress: names.computerEgressPolicy,
                kagentAgent: names.kagentAgentPolicy,
                computerVnc: names.computerVncPolicy,
            },
            mcpPorts: ports.filter((p) => p.purpose === "mcp").map((p) => p.port),
            viewerPorts: ports.filter((p) => p.purpose === "vnc" || p.purpose === "browser").map((p) => p.port),
            rules: {
                ...agent.network,
                computerEgress: [...agent.network.computerEgress, ...buildServiceEgress(platform)],
            },
            computerSelector: selector,
            kagentPodSelector: kagentPodSelector(agent.name),
        },
        quota: planQuota(
            agent,
            containers,
            operations.backup !== undefined && operations.backup.platform.engine === "cronjob",
            egressProxy !== undefined,
        ),
        operations,
        ...(agent.desktop.browserView.enabled ? { browserView: planBrowserView(agent, platform) } : {}),
        ...(egressProxy ? { egressProxy } : {}),
        endpoints: {
            serviceHost: host,
            vncEndpoint: agent.desktop.enabled ? `${host}:${PORTS.vnc}` : undefined,
            mcpUrls: Object.fromEntries(mcpServers.map((server) => [server.name, server.url])),
            vaultPaths: {
                provided: `${platform.vault.mount}/${credentials.vaultPaths.provided}`,
                generated: `${platform.vault.mount}/${credentials.vaultPaths.generated}`,
            },
        },
    };
}

/** With the build service on, the computer reaches the daemon's pods on its port, and nothing else of its namespace. */
function buildServiceEgress(platform: PlatformSpec): EgressRule[] {
    if (!platform.buildService.enabled) {
        return [];
    }
    return [
        {
            namespace: platform.buildService.namespace,
            podLabels: BUILDKIT_POD_LABELS,
            ports: [BUILDKIT_PORT],
            protocol: "TCP",
        },
    ];
}

function planOperations(agent: AgentSpec, platform: PlatformSpec, workspaceClaim: string): OperationsPlan {
    const operations: OperationsPlan = {};
    if (platform.monitoring.enabled) {
        operations.monitoring = {
            agent: { name: agent.name, namespace: agent.namespace, desktop: agent.desktop.enabled },
            settings: platform.monitoring,
        };
    }
    const backup = agent.storage.backup;
    if (backup) {
        operations.backup = {
            agent: {
                name: agent.name,
                namespace: agent.namespace,
                workspaceClaim,
                backup: {
                    schedule: backup.schedule,
                    // 0: no limit of that kind (validation asks for at least one of the two).
                    retention: {
                        count: backup.retention.count ?? 0,
                        maxAgeSeconds: backup.retention.maxAge ? (ageSeconds(backup.retention.maxAge) ?? 0) : 0,
                    },
                    volumeSnapshotClass: backup.volumeSnapshotClass,
                    pauseJobs: backup.pauseJobs,
                },
            },
            platform: platform.backup,
            image: "shell",
        };
    }
    return operations;
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

function planVaultAccess(agent: AgentSpec, platform: PlatformSpec): VaultAccessPlan {
    const names = agentObjectNames(agent.name);
    const access = vaultAccessName(agent.name, platform.vault.mount, platform.vault.pathPrefix);
    const { provided, generated } = vaultPaths(agent.name, platform);
    return {
        store:
            platform.secretStore.kind === "ClusterSecretStore"
                ? { kind: "ClusterSecretStore", name: platform.secretStore.name }
                : { kind: "SecretStore", name: names.secretStore },
        policyName: access,
        roleName: access,
        // Read on the KV v2 data of exactly the agent's provided and generated paths.
        policy: [provided, generated]
            .map((path) => `path "${platform.vault.mount}/data/${path}" {\n  capabilities = ["read"]\n}\n`)
            .join("\n"),
        serviceAccount: names.secretsServiceAccount,
        labels: agentLabels(agent.name, "credentials"),
    };
}
