/**
 * Workspace backups as their plan says (plan/backup.ts): the CronJob engine's ServiceAccount, Role,
 * RoleBinding, program ConfigMap, CronJob and policies, or snapscheduler's SnapshotSchedule.
 */
import type { Input } from "@pulumi/pulumi";
import { AGENT_UID, BACKUP_PROGRAM } from "../contract/pod";
import { SNAPSHOT_API_GROUP } from "../plan/backup";
import type { BackupPlan, CronJobBackupPlan } from "../plan/types";
import { networkPolicy } from "./networkPolicy";
import { type ImageRefs, imageRef, type KubernetesObject, type Rendered } from "./objects";

/**
 * `<kind>` keys (`backup-cronjob`, …); a second object of a kind adds its name to stay unique. With a
 * CronJob, its pod runs the shell image.
 */
export function backupObjects(agent: string, plan: BackupPlan, images: ImageRefs): Rendered[] {
    const objects = plan.cronJob
        ? cronJobObjects(plan, plan.cronJob, imageRef(images, plan.cronJob.image, `agent ${agent}, the backup pod`))
        : plan.snapshotSchedule
          ? [snapshotSchedule(plan)]
          : [];
    const kinds = new Set<string>();
    return objects.map((object) => {
        const kind = object.kind.toLowerCase();
        const key = kinds.has(kind) ? `backup-${kind}-${object.metadata.name}` : `backup-${kind}`;
        kinds.add(kind);
        return { key, object };
    });
}

function cronJobObjects(plan: BackupPlan, cronJob: CronJobBackupPlan, image: Input<string>): KubernetesObject[] {
    const egress = cronJob.policies.egress;
    if (egress.egress?.some((rule) => rule.peers?.length === 0)) {
        // An egress rule without peers would open every destination, not none (the config check says so first).
        throw new Error(`${cronJob.name}: the backup pod's egress names no address of the API server`);
    }
    const metadata = (name: string) => ({ name, namespace: plan.namespace, labels: plan.labels });
    const pause = cronJob.pause;
    const runAs = { runAsNonRoot: true, runAsUser: AGENT_UID, runAsGroup: AGENT_UID };
    return [
        {
            apiVersion: "v1",
            kind: "ServiceAccount",
            metadata: metadata(cronJob.name),
            automountServiceAccountToken: false,
        },
        {
            apiVersion: "rbac.authorization.k8s.io/v1",
            kind: "Role",
            metadata: metadata(cronJob.name),
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
            metadata: metadata(cronJob.name),
            roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: cronJob.name },
            subjects: [{ kind: "ServiceAccount", name: cronJob.name, namespace: plan.namespace }],
        },
        {
            apiVersion: "v1",
            kind: "ConfigMap",
            metadata: metadata(cronJob.scriptName),
            data: { [BACKUP_PROGRAM.file]: cronJob.program },
        },
        {
            apiVersion: "batch/v1",
            kind: "CronJob",
            metadata: metadata(cronJob.name),
            spec: {
                schedule: plan.schedule,
                timeZone: "Etc/UTC",
                // A slow snapshot must not overlap the next one: both would prune.
                concurrencyPolicy: "Forbid",
                startingDeadlineSeconds: 3600,
                successfulJobsHistoryLimit: 3,
                failedJobsHistoryLimit: 3,
                jobTemplate: {
                    metadata: { labels: cronJob.podLabels },
                    spec: {
                        backoffLimit: 2,
                        activeDeadlineSeconds: 600,
                        template: {
                            metadata: { labels: cronJob.podLabels },
                            spec: {
                                serviceAccountName: cronJob.name,
                                // The one pod of the agent that talks to the API server.
                                automountServiceAccountToken: true,
                                restartPolicy: "Never",
                                securityContext: { ...runAs, seccompProfile: { type: "RuntimeDefault" } },
                                containers: [
                                    {
                                        name: "snapshot",
                                        image,
                                        command: ["node", `${BACKUP_PROGRAM.dir}/${BACKUP_PROGRAM.file}`],
                                        env: cronJob.env.map(({ name, value }) => ({ name, value })),
                                        resources: structuredClone(cronJob.resources),
                                        securityContext: {
                                            allowPrivilegeEscalation: false,
                                            capabilities: { drop: ["ALL"] },
                                            readOnlyRootFilesystem: true,
                                            ...runAs,
                                            seccompProfile: { type: "RuntimeDefault" },
                                        },
                                        volumeMounts: [
                                            { name: "script", mountPath: BACKUP_PROGRAM.dir, readOnly: true },
                                            ...(pause
                                                ? [{ name: "mcp-token", mountPath: pause.dir, readOnly: true }]
                                                : []),
                                        ],
                                    },
                                ],
                                volumes: [
                                    { name: "script", configMap: { name: cronJob.scriptName } },
                                    ...(pause
                                        ? [
                                              {
                                                  name: "mcp-token",
                                                  secret: {
                                                      secretName: pause.secretName,
                                                      items: [{ key: pause.key, path: pause.key }],
                                                  },
                                              },
                                          ]
                                        : []),
                                ],
                            },
                        },
                    },
                },
            },
        },
        ...Object.values(cronJob.policies).map(networkPolicy),
    ];
}

function snapshotSchedule(plan: BackupPlan): KubernetesObject {
    const schedule = plan.snapshotSchedule as NonNullable<BackupPlan["snapshotSchedule"]>;
    return {
        apiVersion: "snapscheduler.backube/v1",
        kind: "SnapshotSchedule",
        metadata: { name: schedule.name, namespace: plan.namespace, labels: plan.labels },
        spec: {
            schedule: plan.schedule,
            claimSelector: { matchLabels: schedule.claimSelector },
            retention: {
                ...(schedule.maxCount !== undefined ? { maxCount: schedule.maxCount } : {}),
                ...(schedule.expires !== undefined ? { expires: schedule.expires } : {}),
            },
            snapshotTemplate: { labels: plan.snapshotLabels, snapshotClassName: plan.volumeSnapshotClass },
        },
    };
}
