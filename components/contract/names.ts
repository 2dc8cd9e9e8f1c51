/**
 * Names of the Kubernetes and Vault objects of one agent, and of the stack's own. Kagent's controller
 * creates a Deployment, Service, Secret, ServiceAccount and ConfigMap named exactly like the Agent, so
 * none of ours may use that name. Each name has the kind of object it names, whose rule the config
 * validation applies to every derived name (a Service name must be a DNS-1035 label, most other names
 * DNS-1123 subdomains).
 */

/**
 * The rule a name must follow: kagent also names a Service after the Agent, hence `service` for it;
 * `cronJob` is a subdomain short enough for the Jobs and pods the CronJob controller names after it.
 */
export type NameRule = "service" | "subdomain" | "cronJob";

/** Suffix after the agent's name, and the rule of the strictest object kind that carries the name. */
const OBJECT_NAMES = {
    /** The kagent Agent: named exactly like the agent, as people see it in kagent's UI. */
    agent: { suffix: "", rule: "service", kinds: "kagent Agent and the Service kagent creates for it" },
    /** The computer's Deployment, Service and ServiceAccount, and the PodMonitor that scrapes it. */
    computer: { suffix: "-computer", rule: "service", kinds: "Service, Deployment, ServiceAccount and PodMonitor" },
    /** The Secret the ExternalSecret writes (and the ExternalSecret itself). */
    credentials: { suffix: "-credentials", rule: "subdomain", kinds: "Secret and ExternalSecret" },
    /** The workspace claim, and the SnapshotSchedule of snapscheduler that snapshots it. */
    workspaceClaim: { suffix: "-workspace", rule: "subdomain", kinds: "PersistentVolumeClaim and SnapshotSchedule" },
    configClaim: { suffix: "-config", rule: "subdomain", kinds: "PersistentVolumeClaim" },
    modelConfig: { suffix: "-model", rule: "subdomain", kinds: "ModelConfig" },
    computerControlServer: { suffix: "-computer-control", rule: "subdomain", kinds: "RemoteMCPServer" },
    shellServer: { suffix: "-shell", rule: "subdomain", kinds: "RemoteMCPServer" },
    secretStore: { suffix: "-vault", rule: "subdomain", kinds: "SecretStore" },
    /** The ServiceAccount ESO logs in to Vault with; no pod runs as it. */
    secretsServiceAccount: { suffix: "-secrets", rule: "subdomain", kinds: "ServiceAccount" },
    quota: { suffix: "-quota", rule: "subdomain", kinds: "ResourceQuota" },
    limits: { suffix: "-limits", rule: "subdomain", kinds: "LimitRange" },
    defaultDenyPolicy: { suffix: "-default-deny", rule: "subdomain", kinds: "NetworkPolicy" },
    computerMcpPolicy: { suffix: "-computer-mcp", rule: "subdomain", kinds: "NetworkPolicy" },
    computerEgressPolicy: { suffix: "-computer-egress", rule: "subdomain", kinds: "NetworkPolicy" },
    kagentAgentPolicy: { suffix: "-kagent-agent", rule: "subdomain", kinds: "NetworkPolicy" },
    computerVncPolicy: { suffix: "-computer-vnc", rule: "subdomain", kinds: "NetworkPolicy" },
    /** Admits Prometheus to the computer's metrics ports. */
    metricsPolicy: { suffix: "-computer-metrics", rule: "subdomain", kinds: "NetworkPolicy" },
    /** The browser view's mode ConfigMap and its Ingress (when `platform.browserView.host` is set). */
    browserViewConfig: { suffix: "-browser-view", rule: "subdomain", kinds: "ConfigMap and Ingress" },
    browserViewIngressPolicy: { suffix: "-browser-view-ingress", rule: "subdomain", kinds: "NetworkPolicy" },
    /** The egress proxy: its Deployment, Service, rules ConfigMap and PodMonitor. */
    egressProxy: { suffix: "-egress", rule: "service", kinds: "Service, Deployment, ConfigMap and PodMonitor" },
    egressProxyPolicy: { suffix: "-egress-proxy", rule: "subdomain", kinds: "NetworkPolicy" },
    /** The backup CronJob, and the ServiceAccount, Role and RoleBinding it runs as. */
    backup: { suffix: "-backup", rule: "cronJob", kinds: "CronJob, ServiceAccount, Role and RoleBinding" },
    backupScript: { suffix: "-backup-script", rule: "subdomain", kinds: "ConfigMap" },
    backupEgressPolicy: { suffix: "-backup-egress", rule: "subdomain", kinds: "NetworkPolicy" },
    backupToShellPolicy: { suffix: "-backup-to-shell", rule: "subdomain", kinds: "NetworkPolicy" },
    /** The agent's BuildKit daemon in the build namespace: its Deployment, Service and NetworkPolicy. */
    buildDaemon: { suffix: "-buildkitd", rule: "service", kinds: "Service, Deployment and NetworkPolicy" },
    /** The daemon's server certificate: the ExternalSecret and the Secret it writes. */
    buildDaemonTls: { suffix: "-buildkitd-tls", rule: "subdomain", kinds: "Secret and ExternalSecret" },
} as const satisfies Record<string, { suffix: string; rule: NameRule; kinds: string }>;

export type ObjectNameKey = keyof typeof OBJECT_NAMES;
export type AgentObjectNames = Record<ObjectNameKey, string>;

export function agentObjectNames(agent: string): AgentObjectNames {
    return Object.fromEntries(
        Object.entries(OBJECT_NAMES).map(([key, { suffix }]) => [key, `${agent}${suffix}`]),
    ) as AgentObjectNames;
}

/** Every derived name with the rule it must follow, for validation. */
export function namedObjects(agent: string): { name: string; rule: NameRule; kinds: string }[] {
    return Object.values(OBJECT_NAMES).map(({ suffix, rule, kinds }) => ({ name: `${agent}${suffix}`, rule, kinds }));
}

/**
 * A CronJob's name is the prefix of the Jobs it creates, which add an 11-character suffix (`-<minutes>`)
 * and label their pods with the Job's name, so the CronJob controller refuses a name over 52 characters.
 * (The workspace snapshots' names are the claim's plus 16 characters, far under 253.)
 */
export const MAX_CRONJOB_NAME = 52;

/** The stack's own objects, one each per stack. */
export const STACK_OBJECT_NAMES = {
    /** The PrometheusRule with the alerts of monitoring/rules.yaml. */
    prometheusRule: "persistent-agents",
    /** The Grafana dashboard's ConfigMap, and its one key. */
    dashboard: "persistent-agents-dashboard",
    dashboardFile: "persistent-agents.json",
} as const;

/** The host of an agent's browser-view Ingress: one origin per agent under the platform's host. */
export function browserViewHost(agent: string, platformHost: string): string {
    return `${agent}.${platformHost}`;
}

/**
 * The Vault policy and Kubernetes-auth role of an agent, unique per KV mount, path prefix and agent:
 * stacks sharing a Vault (with different prefixes) never overwrite each other's. Mount and prefix are
 * made of `[a-z0-9_-]` segments (config validation), so '.' separates them unambiguously.
 */
export function vaultAccessName(agent: string, mount: string, pathPrefix: string): string {
    return ["agent", mount, ...pathPrefix.split("/"), agent].join(".");
}

/** The agent's two Vault paths, relative to the KV mount: the operator's secrets and the stack's. */
export function vaultPaths(agent: string, pathPrefix: string): { provided: string; generated: string } {
    const base = `${pathPrefix}/${agent}`;
    return { provided: `${base}/provided`, generated: `${base}/generated` };
}

/** The cluster DNS name of a Service. */
export function serviceHost(service: string, namespace: string): string {
    return `${service}.${namespace}.svc.cluster.local`;
}
