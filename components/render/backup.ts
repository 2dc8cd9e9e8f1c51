/**
 * Workspace backups with CSI VolumeSnapshots (`snapshot.storage.k8s.io/v1`), and restore from one.
 * Two engines (docs/architecture.md, "Backups and restore"):
 *   - `cronjob` (default): a CronJob of ours runs backup/snapshot-workspace.mjs in the shell image, as a
 *     ServiceAccount allowed only to create, list and delete VolumeSnapshots in the agent's namespace;
 *   - `snapscheduler`: a backube snapscheduler SnapshotSchedule, for clusters that run that operator.
 */
import type * as pulumi from "@pulumi/pulumi";
import * as fs from "fs";
import * as path from "path";
import { AGENT_LABEL, agentLabels, computerSelector } from "../contract/labels";
import { agentObjectNames } from "../contract/names";
import { MOUNTS, PORTS, PORT_NAMES } from "../contract/pod";
import { SECRET_KEYS } from "../plan/credentials";

export const SNAPSHOT_API_GROUP = "snapshot.storage.k8s.io";
export const BACKUP_PROGRAM_FILE = path.join(__dirname, "..", "..", "backup", "snapshot-workspace.mjs");
/** The label the program puts on the snapshots it takes, naming the claim (the pruning selector). */
export const BACKUP_OF_LABEL = "persistent-agents.dev/backup-of";

/** One backup pod: Node reading a few KiB of JSON. Counted in the namespace quota (components/plan/quotas.ts). */
export const BACKUP_POD_RESOURCES = {
    requests: { cpu: "10m", memory: "64Mi" },
    limits: { cpu: "500m", memory: "128Mi" },
} as const;

export interface BackupSettings {
    schedule: string;
    retention: { count: number; maxAgeSeconds: number };
    volumeSnapshotClass: string;
    /** Ask the shell server to pause the agent's jobs until the snapshot is cut (its pre-snapshot hook). */
    pauseJobs?: boolean;
}

export interface BackupPlatform {
    engine: "cronjob" | "snapscheduler";
    /** Where the CronJob's pod reaches the API server (the `kubernetes` Service's endpoints, and its ClusterIP). */
    apiServer: { cidrs: string[]; ports: number[] };
}

export interface BackedUpAgent {
    name: string;
    namespace: string;
    workspaceClaim: string;
    backup: BackupSettings;
}

type KubernetesObject = {
    apiVersion: string;
    kind: string;
    metadata: { name: string; namespace: string; labels: Record<string, string> };
    [key: string]: unknown;
};

const SCRIPT_DIR = "/opt/backup";
const SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";

export function backupNames(agent: string) {
    return {
        serviceAccount: `${agent}-backup`,
        cronJob: `${agent}-backup`,
        script: `${agent}-backup-script`,
        egress: `${agent}-backup-egress`,
        toShell: `${agent}-backup-to-shell`,
        schedule: `${agent}-workspace`,
    };
}

/** Labels of the backup pods (selected by the backup egress policy, never by the computer's policies). */
export function backupPodSelector(agent: string): Record<string, string> {
    return {
        "app.kubernetes.io/name": "persistent-agent",
        "app.kubernetes.io/component": "backup",
        [AGENT_LABEL]: agent,
    };
}

/** The workspace claim's `dataSource` when the agent restores from a snapshot. */
export function workspaceDataSource(restoreFrom: string | undefined) {
    return restoreFrom ? { apiGroup: SNAPSHOT_API_GROUP, kind: "VolumeSnapshot", name: restoreFrom } : undefined;
}

/** ServiceAccount, Role, RoleBinding, script ConfigMap, CronJob and its egress policy (and the pause hook's path to the shell). */
export function cronJobBackupObjects(
    agent: BackedUpAgent,
    platform: BackupPlatform,
    shellImage: pulumi.Input<string>,
): KubernetesObject[] {
    if (platform.apiServer.cidrs.length === 0) {
        // An egress rule without peers would open every destination, not none.
        throw new Error(
            `agent ${agent.name}: storage.backup needs platform.backup.apiServer.cidrs (the API server's addresses) for the backup pod's egress`,
        );
    }
    const names = backupNames(agent.name);
    const labels = agentLabels(agent.name, "backup");
    const metadata = (name: string) => ({ name, namespace: agent.namespace, labels });
    const podLabels = { ...labels, ...backupPodSelector(agent.name) };
    const { retention } = agent.backup;
    const pause = pauseHook(agent, metadata);
    return [
        {
            apiVersion: "v1",
            kind: "ServiceAccount",
            metadata: metadata(names.serviceAccount),
            automountServiceAccountToken: false,
        },
        {
            apiVersion: "rbac.authorization.k8s.io/v1",
            kind: "Role",
            metadata: metadata(names.serviceAccount),
            // Exactly what the program does: create one, list the claim's, delete the pruned ones.
            rules: [
                {
                    apiGroups: [SNAPSHOT_API_GROUP],
                    resources: ["volumesnapshots"],
                    verbs: ["create", "list", "delete"],
                },
            ],
        },
        {
            apiVersion: "rbac.authorization.k8s.io/v1",
            kind: "RoleBinding",
            metadata: metadata(names.serviceAccount),
            roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: names.serviceAccount },
            subjects: [{ kind: "ServiceAccount", name: names.serviceAccount, namespace: agent.namespace }],
        },
        {
            apiVersion: "v1",
            kind: "ConfigMap",
            metadata: metadata(names.script),
            data: { "snapshot-workspace.mjs": fs.readFileSync(BACKUP_PROGRAM_FILE, "utf8") },
        },
        {
            apiVersion: "batch/v1",
            kind: "CronJob",
            metadata: metadata(names.cronJob),
            spec: {
                schedule: agent.backup.schedule,
                timeZone: "Etc/UTC",
                // A slow snapshot must not overlap the next one: both would prune.
                concurrencyPolicy: "Forbid",
                startingDeadlineSeconds: 3600,
                successfulJobsHistoryLimit: 3,
                failedJobsHistoryLimit: 3,
                jobTemplate: {
                    metadata: { labels: podLabels },
                    spec: {
                        backoffLimit: 2,
                        activeDeadlineSeconds: 600,
                        template: {
                            metadata: { labels: podLabels },
                            spec: {
                                serviceAccountName: names.serviceAccount,
                                // The one pod of the agent that talks to the API server.
                                automountServiceAccountToken: true,
                                restartPolicy: "Never",
                                securityContext: {
                                    runAsNonRoot: true,
                                    runAsUser: 1000,
                                    runAsGroup: 1000,
                                    seccompProfile: { type: "RuntimeDefault" },
                                },
                                containers: [
                                    {
                                        name: "snapshot",
                                        image: shellImage,
                                        command: ["node", `${SCRIPT_DIR}/snapshot-workspace.mjs`],
                                        env: [
                                            { name: "NAMESPACE", value: agent.namespace },
                                            { name: "CLAIM", value: agent.workspaceClaim },
                                            { name: "AGENT", value: agent.name },
                                            { name: "SNAPSHOT_CLASS", value: agent.backup.volumeSnapshotClass },
                                            { name: "RETAIN_COUNT", value: String(retention.count) },
                                            { name: "RETAIN_MAX_AGE_SECONDS", value: String(retention.maxAgeSeconds) },
                                            { name: "NODE_EXTRA_CA_CERTS", value: `${SERVICE_ACCOUNT_DIR}/ca.crt` },
                                            ...pause.env,
                                        ],
                                        resources: BACKUP_POD_RESOURCES,
                                        securityContext: {
                                            allowPrivilegeEscalation: false,
                                            capabilities: { drop: ["ALL"] },
                                            readOnlyRootFilesystem: true,
                                            runAsNonRoot: true,
                                            runAsUser: 1000,
                                            runAsGroup: 1000,
                                            seccompProfile: { type: "RuntimeDefault" },
                                        },
                                        volumeMounts: [
                                            { name: "script", mountPath: SCRIPT_DIR, readOnly: true },
                                            ...pause.mounts,
                                        ],
                                    },
                                ],
                                volumes: [{ name: "script", configMap: { name: names.script } }, ...pause.volumes],
                            },
                        },
                    },
                },
            },
        },
        {
            apiVersion: "networking.k8s.io/v1",
            kind: "NetworkPolicy",
            metadata: { ...metadata(names.egress), labels: agentLabels(agent.name, "network") },
            spec: {
                podSelector: { matchLabels: backupPodSelector(agent.name) },
                policyTypes: ["Ingress", "Egress"],
                egress: [
                    {
                        to: platform.apiServer.cidrs.map((cidr) => ({ ipBlock: { cidr } })),
                        ports: platform.apiServer.ports.map((port) => ({ protocol: "TCP", port })),
                    },
                    ...pause.egress,
                ],
            },
        },
        ...pause.policies,
    ];
}

/**
 * What the pre-snapshot hook adds to the backup pod: the shell server's address (from the Service's
 * environment variables, so no DNS), its bearer token, and a path to the shell's port and nowhere else
 * in the computer. Holding the token lets this pod run commands in the computer: hence opt-in.
 */
function pauseHook(
    agent: BackedUpAgent,
    metadata: (name: string) => { name: string; namespace: string; labels: Record<string, string> },
) {
    if (!agent.backup.pauseJobs) {
        return { env: [], mounts: [], volumes: [], egress: [], policies: [] };
    }
    const service = agentObjectNames(agent.name).computer.toUpperCase().replace(/-/g, "_");
    const shellPort = PORT_NAMES.shell.toUpperCase().replace(/-/g, "_");
    const tokenDir = MOUNTS.mcp;
    const toShell = [{ protocol: "TCP", port: PORTS.shell }];
    return {
        env: [
            // Kubernetes expands service environment variables in values: the Service's ClusterIP and port.
            { name: "SHELL_URL", value: `http://$(${service}_SERVICE_HOST):$(${service}_SERVICE_PORT_${shellPort})` },
            { name: "SHELL_TOKEN_FILE", value: `${tokenDir}/${SECRET_KEYS.mcpToken}` },
            { name: "PAUSE_MAX_SECONDS", value: "120" },
        ],
        mounts: [{ name: "mcp-token", mountPath: tokenDir, readOnly: true }],
        volumes: [
            {
                name: "mcp-token",
                secret: {
                    secretName: agentObjectNames(agent.name).credentials,
                    items: [{ key: SECRET_KEYS.mcpToken, path: SECRET_KEYS.mcpToken }],
                },
            },
        ],
        egress: [{ to: [{ podSelector: { matchLabels: computerSelector(agent.name) } }], ports: toShell }],
        policies: [
            {
                apiVersion: "networking.k8s.io/v1",
                kind: "NetworkPolicy",
                metadata: { ...metadata(backupNames(agent.name).toShell), labels: agentLabels(agent.name, "network") },
                spec: {
                    podSelector: { matchLabels: computerSelector(agent.name) },
                    policyTypes: ["Ingress"],
                    ingress: [
                        { from: [{ podSelector: { matchLabels: backupPodSelector(agent.name) } }], ports: toShell },
                    ],
                },
            },
        ],
    };
}

/** snapscheduler's retention takes a Go duration in h/m/s and a count of at least 1. */
export function snapshotSchedule(agent: BackedUpAgent): KubernetesObject {
    const { retention } = agent.backup;
    return {
        apiVersion: "snapscheduler.backube/v1",
        kind: "SnapshotSchedule",
        metadata: {
            name: backupNames(agent.name).schedule,
            namespace: agent.namespace,
            labels: agentLabels(agent.name, "backup"),
        },
        spec: {
            schedule: agent.backup.schedule,
            claimSelector: { matchLabels: { [AGENT_LABEL]: agent.name, "app.kubernetes.io/component": "workspace" } },
            retention: {
                ...(retention.count > 0 ? { maxCount: retention.count } : {}),
                ...(retention.maxAgeSeconds > 0 ? { expires: `${Math.ceil(retention.maxAgeSeconds / 3600)}h` } : {}),
            },
            snapshotTemplate: {
                labels: { [AGENT_LABEL]: agent.name, [BACKUP_OF_LABEL]: agent.workspaceClaim },
                snapshotClassName: agent.backup.volumeSnapshotClass,
            },
        },
    };
}

export function backupObjects(
    agent: BackedUpAgent,
    platform: BackupPlatform,
    shellImage: pulumi.Input<string>,
): KubernetesObject[] {
    return platform.engine === "snapscheduler"
        ? [snapshotSchedule(agent)]
        : cronJobBackupObjects(agent, platform, shellImage);
}
