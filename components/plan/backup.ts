/**
 * Workspace backups with CSI VolumeSnapshots (`snapshot.storage.k8s.io/v1`), and restore from one.
 * Two engines (docs/architecture.md, "Backups and restore"):
 *   - `cronjob` (default): a CronJob of ours runs backup/snapshot-workspace.mjs in the shell image, as a
 *     ServiceAccount allowed only to create, list and delete VolumeSnapshots in the agent's namespace;
 *   - `snapscheduler`: a backube snapscheduler SnapshotSchedule, for clusters that run that operator.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { AgentSpec, ContainerResources, PlatformSpec } from "../config";
import { ageSeconds } from "../config/operationsSchema";
import {
    AGENT_LABEL,
    agentLabels,
    BACKUP_OF_LABEL,
    backupPodSelector,
    computerSelector,
    SNAPSHOT_MANAGER,
    workspaceClaimSelector,
} from "../contract/labels";
import { agentObjectNames } from "../contract/names";
import { BACKUP_PROGRAM, MOUNTS, PORT_NAMES, PORTS, SECRET_KEYS, SERVICE_ACCOUNT_DIR } from "../contract/pod";
import { type PolicyPlan, tcp } from "./network";

export const SNAPSHOT_API_GROUP = "snapshot.storage.k8s.io";
export const BACKUP_PROGRAM_FILE = path.join(__dirname, "..", "..", "backup", BACKUP_PROGRAM.file);

/** One backup pod: Node reading a few KiB of JSON. Counted in the namespace quota (plan/quotas.ts). */
const BACKUP_POD_RESOURCES: ContainerResources = {
    requests: { cpu: "10m", memory: "64Mi" },
    limits: { cpu: "500m", memory: "128Mi" },
};

/** The longest the shell's jobs stay paused for a snapshot; the shell server resumes them by itself after it. */
const PAUSE_MAX_SECONDS = 120;

export interface BackupPlan {
    namespace: string;
    labels: Record<string, string>;
    schedule: string;
    /** 0: no limit of that kind (validation asks for at least one of the two). */
    retention: { count: number; maxAgeSeconds: number };
    volumeSnapshotClass: string;
    claim: string;
    /** The labels on every snapshot taken (retention selects the claim's by BACKUP_OF_LABEL). */
    snapshotLabels: Record<string, string>;
    /** Snapshots retention must never delete: the one `storage.restoreFrom` names (the claim is created from it). */
    keepSnapshots: string[];
    /** What the operator must know at preview (said as a warning, never an error). */
    warnings: string[];
    /** One of the two engines. */
    cronJob?: CronJobBackupPlan;
    snapshotSchedule?: SnapshotSchedulePlan;
}

export interface CronJobBackupPlan {
    /** CronJob, ServiceAccount, Role and RoleBinding. */
    name: string;
    scriptName: string;
    /** backup/snapshot-workspace.mjs, shipped in a ConfigMap and run by the shell image's Node. */
    program: string;
    /** The backup pod runs the shell image (it has Node 22). */
    image: "shell";
    podLabels: Record<string, string>;
    resources: ContainerResources;
    /** The program's settings (its environment). */
    env: { name: string; value: string }[];
    /** The pre-snapshot hook: the Secret key of the MCP token the pod mounts. */
    pause?: { secretName: string; key: string; dir: string };
    /** Its egress (the API server, and with the hook the shell), and the shell's admission of it. */
    policies: Record<string, PolicyPlan>;
}

export interface SnapshotSchedulePlan {
    name: string;
    claimSelector: Record<string, string>;
    /** snapscheduler's retention: a count of at least 1 and a Go duration in hours. */
    maxCount?: number;
    expires?: string;
}

/** The workspace claim's `dataSource` when the agent restores from a snapshot. */
export function workspaceDataSource(restoreFrom: string | undefined) {
    return restoreFrom ? { apiGroup: SNAPSHOT_API_GROUP, kind: "VolumeSnapshot", name: restoreFrom } : undefined;
}

export function planBackup(agent: AgentSpec, platform: PlatformSpec): BackupPlan | undefined {
    const backup = agent.storage.backup;
    if (!backup) {
        return undefined;
    }
    const names = agentObjectNames(agent.name);
    const retention = {
        count: backup.retention.count ?? 0,
        maxAgeSeconds: backup.retention.maxAge ? (ageSeconds(backup.retention.maxAge) ?? 0) : 0,
    };
    const plan: BackupPlan = {
        namespace: agent.namespace,
        labels: agentLabels(agent.name, "backup"),
        schedule: backup.schedule,
        retention,
        volumeSnapshotClass: backup.volumeSnapshotClass,
        claim: names.workspaceClaim,
        snapshotLabels: { [AGENT_LABEL]: agent.name, [BACKUP_OF_LABEL]: names.workspaceClaim },
        keepSnapshots: agent.storage.restoreFrom ? [agent.storage.restoreFrom] : [],
        warnings: [],
    };
    if (platform.backup.engine === "snapscheduler") {
        if (agent.storage.restoreFrom) {
            // snapscheduler prunes every snapshot labelled with its schedule, and cannot be told to spare one.
            plan.warnings.push(
                `storage.restoreFrom: if ${agent.storage.restoreFrom} is a snapshot of the schedule ${names.workspaceClaim}, ` +
                    "snapscheduler's retention will delete it, and a workspace claim created from it again would stay " +
                    `Pending; keep it with: kubectl -n ${agent.namespace} label volumesnapshot ${agent.storage.restoreFrom} ` +
                    "snapscheduler.backube/schedule- (docs/runbook.md, restore)",
            );
        }
        plan.snapshotSchedule = {
            name: names.workspaceClaim,
            claimSelector: workspaceClaimSelector(agent.name),
            ...(retention.count > 0 ? { maxCount: retention.count } : {}),
            ...(retention.maxAgeSeconds > 0 ? { expires: `${Math.ceil(retention.maxAgeSeconds / 3600)}h` } : {}),
        };
        return plan;
    }
    plan.cronJob = planCronJob(agent, platform, plan, backup.pauseJobs);
    return plan;
}

function planCronJob(
    agent: AgentSpec,
    platform: PlatformSpec,
    backup: BackupPlan,
    pauseJobs: boolean,
): CronJobBackupPlan {
    const names = agentObjectNames(agent.name);
    const apiServer = platform.apiServer;
    const policy = (name: string, spec: Omit<PolicyPlan, "name" | "namespace" | "labels">): PolicyPlan => ({
        name,
        namespace: agent.namespace,
        labels: agentLabels(agent.name, "network"),
        ...spec,
    });
    const toShell = tcp(PORTS.shell);
    // Kubernetes expands service environment variables in values: the Service's ClusterIP and port, no DNS.
    const service = names.computer.toUpperCase().replace(/-/g, "_");
    const shellPort = PORT_NAMES.shell.toUpperCase().replace(/-/g, "_");
    const pause = pauseJobs ? { secretName: names.credentials, key: SECRET_KEYS.mcpToken, dir: MOUNTS.mcp } : undefined;
    const policies: Record<string, PolicyPlan> = {
        egress: policy(names.backupEgressPolicy, {
            podSelector: backupPodSelector(agent.name),
            policyTypes: ["Ingress", "Egress"],
            egress: [
                { peers: apiServer.cidrs.map((cidr) => ({ cidr })), ports: tcp(...apiServer.ports) },
                ...(pause ? [{ peers: [{ pods: computerSelector(agent.name) }], ports: toShell }] : []),
            ],
        }),
    };
    if (pause) {
        // Holding the token lets this pod run commands in the computer: hence the hook is opt-in.
        policies.toShell = policy(names.backupToShellPolicy, {
            podSelector: computerSelector(agent.name),
            policyTypes: ["Ingress"],
            ingress: [{ peers: [{ pods: backupPodSelector(agent.name) }], ports: toShell }],
        });
    }
    return {
        name: names.backup,
        scriptName: names.backupScript,
        program: fs.readFileSync(BACKUP_PROGRAM_FILE, "utf8"),
        image: "shell",
        podLabels: { ...backup.labels, ...backupPodSelector(agent.name) },
        resources: BACKUP_POD_RESOURCES,
        env: [
            { name: "NAMESPACE", value: agent.namespace },
            { name: "CLAIM", value: backup.claim },
            // The program knows none of the stack's labels: they come from the contract through here.
            {
                name: "SNAPSHOT_LABELS",
                value: JSON.stringify({ ...backup.snapshotLabels, "app.kubernetes.io/managed-by": SNAPSHOT_MANAGER }),
            },
            { name: "SNAPSHOT_SELECTOR", value: `${BACKUP_OF_LABEL}=${backup.claim}` },
            ...(backup.keepSnapshots.length > 0
                ? [{ name: "KEEP_SNAPSHOTS", value: backup.keepSnapshots.join(",") }]
                : []),
            { name: "SNAPSHOT_CLASS", value: backup.volumeSnapshotClass },
            { name: "RETAIN_COUNT", value: String(backup.retention.count) },
            { name: "RETAIN_MAX_AGE_SECONDS", value: String(backup.retention.maxAgeSeconds) },
            // The API server's certificate is signed by the cluster CA, which Node does not know by itself.
            { name: "NODE_EXTRA_CA_CERTS", value: `${SERVICE_ACCOUNT_DIR}/ca.crt` },
            ...(pause
                ? [
                      {
                          name: "SHELL_URL",
                          value: `http://$(${service}_SERVICE_HOST):$(${service}_SERVICE_PORT_${shellPort})`,
                      },
                      { name: "SHELL_TOKEN_FILE", value: `${pause.dir}/${pause.key}` },
                      { name: "PAUSE_MAX_SECONDS", value: String(PAUSE_MAX_SECONDS) },
                  ]
                : []),
        ],
        pause,
        policies,
    };
}
