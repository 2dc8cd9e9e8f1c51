/**
 * From the parsed config to the specs the components are built from: the values that depend on
 * several keys (an agent's namespace from the platform's prefix, its merged network rules), and the
 * rules that span agents or need the platform.
 */
import { type AgentConfig, MODEL_KEY_FIELD } from "./agentSchema";
import { neededSecretKeys, secretSource } from "./agentRules";
import { IMAGE_NAMES, type ImageName } from "../contract/images";
import {
    type ContainerResources,
    DEFAULT_RESOLUTION,
    DEFAULT_RESOURCES,
    defaultSystemMessage,
    RESOURCES_KEYS,
} from "./defaults";
import { browserViewHost } from "../contract/names";
import * as formats from "./formats";
import { MAX_DNS_LABEL, parseDuration } from "./formats";
import type { PlatformConfig } from "./platformSchema";
import { checkBackupPlatform } from "./operationsSchema";
import type { Problems } from "./problems";
import type { AgentSpec, OperatorSecrets, PlatformSpec, ResourcesKey, SleepSpec } from "./types";

/** The cluster's own namespaces, and those of the operators every stack relies on (ESO, Vault). */
const CLUSTER_NAMESPACES = ["default", "kube-system", "kube-public", "kube-node-lease", "external-secrets", "vault"];

/**
 * The namespaces the platform itself uses, by the key that names each (the first, where several do): the
 * stack puts objects there or admits pods from there, so an agent there would share them, and its
 * default-deny policy would cut them off.
 */
function platformNamespaces(platform: PlatformConfig, agents: AgentConfig[]): Map<string, string> {
    const found = new Map<string, string>();
    const note = (namespace: string | undefined, key: string) => {
        if (namespace !== undefined && !found.has(namespace)) {
            found.set(namespace, key);
        }
    };
    note(platform.kagentNamespace, "platform.kagentNamespace (kagent's controller)");
    note(platform.network.dns.namespace, "platform.network.dns.namespace (cluster DNS)");
    if (platform.buildService.enabled) {
        note(platform.buildService.namespace, "platform.buildService.namespace (the build service)");
    }
    if (platform.monitoring.enabled) {
        note(platform.monitoring.namespace, "platform.monitoring.namespace (Prometheus, the alert rules)");
        note(platform.monitoring.dashboard.namespace, "platform.monitoring.dashboard.namespace (Grafana's dashboards)");
    }
    if (platform.browserView.host !== undefined && agents.some((agent) => agent.desktop.browserView.enabled)) {
        note(platform.browserView.ingressNamespace, "platform.browserView.ingressNamespace (the ingress controller)");
    }
    return found;
}

export function platformSpec(config: PlatformConfig, stackName: string): PlatformSpec {
    const { images, ...rest } = config;
    const prebuilt: Partial<Record<ImageName, string>> = {};
    for (const image of IMAGE_NAMES) {
        if (images[image] !== undefined) {
            prebuilt[image] = images[image];
        }
    }
    return {
        ...rest,
        images: {
            prebuilt,
            platforms: images.platforms,
            tag: images.tag ?? stackName,
            registryUsername: images.registryUsername,
        },
    };
}

function agentNamespace(agent: AgentConfig, platform: PlatformConfig): string {
    return agent.namespace ?? `${platform.namespacePrefix}${agent.name}`;
}

export function agentSpec(agent: AgentConfig, platform: PlatformSpec): AgentSpec {
    const desktop = agent.desktop.enabled;
    const resolution = agent.desktop.resolution ?? DEFAULT_RESOLUTION;
    const gitea = {
        enabled: agent.credentials.gitea.enabled,
        username: agent.credentials.gitea.username ?? agent.name,
        brokered: agent.credentials.gitea.enabled && agent.credentials.gitea.brokered,
    };
    const harbor = {
        enabled: agent.credentials.harbor.enabled,
        username:
            agent.credentials.harbor.username ?? `robot$${platform.imageRepository.replace(/\//g, "+")}+${agent.name}`,
    };
    return {
        name: agent.name,
        namespace: agentNamespace(agent, platform),
        description:
            agent.description ??
            `${agent.name}: an agent with its own ${desktop ? "Linux desktop and shell" : "Linux shell"}`,
        systemMessage:
            agent.systemMessage ??
            defaultSystemMessage({
                name: agent.name,
                desktop,
                resolution,
                giteaHost: gitea.enabled ? platform.giteaHost : undefined,
                registry: harbor.enabled ? platform.registry : undefined,
            }),
        model: agent.model,
        desktop: {
            enabled: desktop,
            resolution,
            browserView: {
                enabled: desktop && agent.desktop.browserView.enabled,
                mode: agent.desktop.browserView.mode,
            },
            screenshots: agent.desktop.screenshots,
            recording: { ...agent.desktop.recording, enabled: desktop && agent.desktop.recording.enabled },
        },
        storage: { ...agent.storage, storageClass: agent.storage.storageClass ?? platform.storageClass },
        resources: Object.fromEntries(
            RESOURCES_KEYS.map((key) => [key, agent.resources[key] ?? DEFAULT_RESOURCES[key]]),
        ) as Record<ResourcesKey, ContainerResources>,
        credentials: { gitea, harbor },
        secrets: operatorSecrets(agent),
        rotation: agent.rotation,
        network: {
            // The agent's own rules add to the platform's; its viewers replace the platform's.
            computerEgress: [...platform.network.computerEgress, ...agent.network.computerEgress],
            agentEgress: [...platform.network.agentEgress, ...agent.network.agentEgress],
            allowDomains: [...platform.network.allowDomains, ...agent.network.allowDomains],
            vncViewers: agent.network.vncViewers ?? platform.network.vncViewers,
        },
        runtimeClassName: agent.runtimeClassName,
        sudo: agent.sudo,
        suspended: agent.suspended,
        sleep: sleepSpec(agent, platform),
        // sudo needs setuid, which the restricted level forbids (allowPrivilegeEscalation must be false).
        podSecurity: agent.sudo ? "baseline" : platform.podSecurity,
    };
}

/** The agent's `suspend` over the platform's defaults; `never` (or neither set) is no sleep. */
function sleepSpec(agent: AgentConfig, platform: Pick<PlatformConfig, "suspend">): SleepSpec | undefined {
    const idleAfter = agent.suspend.idleAfter ?? platform.suspend.idleAfter;
    const idleAfterSeconds = idleAfter === undefined ? undefined : parseDuration(idleAfter);
    if (idleAfterSeconds === undefined) {
        return undefined;
    }
    const wakeTimeout = agent.suspend.wakeTimeout ?? platform.suspend.wakeTimeout;
    return { idleAfterSeconds, wakeTimeoutSeconds: parseDuration(wakeTimeout) ?? 0 };
}

function operatorSecrets(agent: AgentConfig): OperatorSecrets {
    if (secretSource(agent) === "vault") {
        return { source: "vault" };
    }
    const wanted = Object.fromEntries(neededSecretKeys(agent).map(({ key, needed }) => [key, needed]));
    return {
        source: "config",
        modelApiKey: agent.secrets[MODEL_KEY_FIELD[agent.model.provider]] ?? "",
        giteaToken: wanted.giteaToken ? agent.secrets.giteaToken : undefined,
        harborPassword: wanted.harborPassword ? agent.secrets.harborPassword : undefined,
    };
}

/** Rules across agents, or between an agent and the platform. */
export function checkAgainstPlatform(agents: AgentConfig[], platform: PlatformConfig, problems: Problems): void {
    const firstByName = new Map<string, number>();
    const firstByNamespace = new Map<string, number>();
    const reachable = reachableNamespaces(agents, platform);
    const platformOwn = platformNamespaces(platform, agents);
    checkBrowserViewRoute(agents, platform, problems);
    checkBackupPlatform(agents, platform.backup, platform.apiServer, problems);
    agents.forEach((agent, index) => {
        const at = (key: string) => `agents[${index}].${key}`;
        const earlier = firstByName.get(agent.name);
        if (earlier !== undefined) {
            problems.add(
                at("name"),
                `"${agent.name}" is already the name of agents[${earlier}]; agent names must be unique`,
            );
        } else {
            firstByName.set(agent.name, index);
        }

        const namespace = agentNamespace(agent, platform);
        if (agent.namespace === undefined && namespace.length > MAX_DNS_LABEL) {
            problems.add(
                at("name"),
                `makes the namespace "${namespace}" longer than ${MAX_DNS_LABEL} characters; shorten the name or set ${at("namespace")}`,
            );
        }
        // Quotas, network policies and Vault access are per namespace, so each agent needs its own.
        const earlierNamespace = firstByNamespace.get(namespace);
        if (earlierNamespace !== undefined) {
            problems.add(
                at("namespace"),
                `"${namespace}" is already the namespace of agents[${earlierNamespace}]; every agent needs its own namespace (quotas, network policies and Vault access are per namespace)`,
            );
        } else {
            firstByNamespace.set(namespace, index);
        }
        const owner = platformOwn.get(namespace);
        if (CLUSTER_NAMESPACES.includes(namespace)) {
            problems.add(
                at("namespace"),
                `"${namespace}" belongs to the cluster; use the default ${platform.namespacePrefix}${agent.name}`,
            );
        } else if (owner !== undefined) {
            problems.add(
                at("namespace"),
                `"${namespace}" is also ${owner}; an agent's namespace holds that agent alone (its default-deny ` +
                    `policy, quota and pod security would apply there too), so use another, e.g. ${platform.namespacePrefix}${agent.name}`,
            );
        } else if (reachable.has(namespace)) {
            problems.add(
                at("namespace"),
                `"${namespace}" is a namespace agents may reach (${reachable.get(namespace)}); the agent's default-deny policy would cut it off, so use another namespace`,
            );
        }

        if (secretSource(agent) === "config" && !platform.vault.writeSecrets) {
            problems.add(
                at("secrets"),
                "holds the operator's secrets in stack config, but platform.vault.writeSecrets is false, so nothing writes them to Vault " +
                    "and the ExternalSecret would read fields that do not exist; put them in Vault (vault kv put) and remove them here, or set platform.vault.writeSecrets to true",
            );
        }
        if (
            agent.credentials.gitea.enabled &&
            agent.credentials.gitea.brokered &&
            platform.network.allowDomains.length + agent.network.allowDomains.length === 0
        ) {
            problems.add(
                at("credentials.gitea.brokered"),
                "needs the agent's egress proxy, which only an agent with network.allowDomains has; list the hosts it may reach in " +
                    `${at("network.allowDomains")} or platform.network.allowDomains, or remove brokered`,
            );
        }
    });
}

/**
 * A route to the browser view must be HTTPS: over plain HTTP its login token and session cookie would
 * cross the network in clear, and its URL output would say https:// for a route that is not (issue 21).
 * The stack cannot see a controller-wide default certificate, so it asks for the Ingress's own TLS Secret
 * (an existing one, or the one cert-manager issues through `annotations`). docs/architecture.md, "Browser view".
 */
function checkBrowserViewRoute(agents: AgentConfig[], platform: PlatformConfig, problems: Problems): void {
    const settings = platform.browserView;
    const first = agents.findIndex((agent) => agent.desktop.enabled && agent.desktop.browserView.enabled);
    // Each routed agent's Ingress host is a derived name too: the API server takes lower-case subdomains only.
    agents.forEach((agent, index) => {
        if (settings.host === undefined || !(agent.desktop.enabled && agent.desktop.browserView.enabled)) {
            return;
        }
        const host = browserViewHost(agent.name, settings.host);
        if (formats.dnsSubdomain(host) !== undefined) {
            problems.add(
                "platform.browserView.host",
                `makes agents[${index}]'s browser-view host "${host}", which an Ingress cannot carry: write the host in ` +
                    `lower case, at most ${formats.MAX_DNS_SUBDOMAIN - agent.name.length - 1} characters`,
            );
        }
    });
    if (settings.host !== undefined && settings.tlsSecretName === undefined && first >= 0) {
        problems.add(
            "platform.browserView.tlsSecretName",
            `is not set, but platform.browserView.host routes agents[${first}]'s browser view, whose login token and ` +
                "session cookie would then cross the network in plain HTTP; name the TLS Secret of the Ingress " +
                "(pulumi config set --path platform.browserView.tlsSecretName <secret>: one in each agent's namespace, " +
                "or the one cert-manager issues through platform.browserView.annotations), or remove host and use kubectl port-forward",
        );
    }
}

/** Namespaces named as egress targets or VNC viewers, with the first path that names each. */
function reachableNamespaces(agents: AgentConfig[], platform: PlatformConfig): Map<string, string> {
    const found = new Map<string, string>();
    const note = (namespace: string | undefined, path: string) => {
        if (namespace !== undefined && !found.has(namespace)) {
            found.set(namespace, path);
        }
    };
    const collect = (
        network: {
            computerEgress: { namespace?: string }[];
            agentEgress: { namespace?: string }[];
            vncViewers?: { namespaces: string[] };
        },
        at: string,
    ) => {
        for (const direction of ["computerEgress", "agentEgress"] as const) {
            network[direction].forEach((rule, index) => {
                note(rule.namespace, `${at}.${direction}[${index}].namespace`);
            });
        }
        network.vncViewers?.namespaces.forEach((namespace, index) => {
            note(namespace, `${at}.vncViewers.namespaces[${index}]`);
        });
    };
    collect(platform.network, "platform.network");
    agents.forEach((agent, index) => {
        collect(agent.network, `agents[${index}].network`);
    });
    return found;
}
