/** The backup and restore objects the program registers (storage.backup, storage.restoreFrom, platform.backup). */
import * as assert from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { compileStack } from "../../components/plan";
import { ProgramError, type ProgramRun, runProgram } from "../harness/program";
import { copy, stackConfig } from "../harness/stackFile";

/** The one object of a type with this metadata.name (and namespace): independent of Pulumi resource names. */
function object(run: ProgramRun, type: string, name: string, namespace?: string): any {
    const found = run
        .byType(type)
        .filter(
            (r) =>
                r.inputs.metadata.name === name &&
                (namespace === undefined || r.inputs.metadata.namespace === namespace),
        );
    assert.strictEqual(found.length, 1, `${type} ${namespace ?? ""}/${name}: found ${found.length}`);
    return found[0].inputs;
}

const repo = path.join(__dirname, "..", "..");
const CRON_JOB = "kubernetes:batch/v1:CronJob";
const BACKUP = { schedule: "0 3 * * *", retention: { count: 7, maxAge: "30d" }, volumeSnapshotClass: "csi-snapshots" };

function withBackup(
    platformBackup: Record<string, unknown>,
    backup: Record<string, unknown> = BACKUP,
): Record<string, any> {
    const config = copy(stackConfig("test-cluster"));
    // The API server's addresses are the platform's (platform.apiServer), shared with the waker.
    const { apiServer, ...engine } = platformBackup;
    config.platform.backup = engine;
    if (apiServer !== undefined) config.platform.apiServer = apiServer;
    config.agents[0].storage = { ...config.agents[0].storage, backup };
    return config;
}

async function problemsOf(config: Record<string, any>): Promise<string> {
    try {
        await runProgram({ config });
    } catch (error) {
        assert.ok(error instanceof ProgramError, String(error));
        return error.message;
    }
    assert.fail("the program accepted the config");
}

const ofAgent = (run: ProgramRun, agent: string) =>
    run.resources.filter((r) => r.custom && r.inputs?.metadata?.namespace === `agent-${agent}`);

describe("workspace backups", () => {
    it("adds nothing for an agent without storage.backup", async () => {
        const run = await runProgram({ config: withBackup({ apiServer: { cidrs: ["10.0.0.1/32"] } }) });
        assert.ok(
            !ofAgent(run, "databot").some((r) =>
                ["CronJob", "Role", "RoleBinding"].includes(r.inputs.kind ?? r.type.split(":").pop()),
            ),
        );
        assert.deepStrictEqual(
            run.byType(CRON_JOB).map((r) => r.inputs.metadata.namespace),
            ["agent-devbot"],
        );
    });

    describe("with the CronJob engine (the default)", () => {
        let run: ProgramRun;
        before(async () => {
            run = await runProgram({
                config: withBackup({ apiServer: { cidrs: ["10.0.0.1/32", "192.168.10.0/24"] } }),
            });
        });

        it("grants its ServiceAccount create, list and delete of VolumeSnapshots in the agent's namespace, nothing more", () => {
            const role = object(run, "kubernetes:rbac.authorization.k8s.io/v1:Role", "devbot-backup");
            assert.strictEqual(role.metadata.namespace, "agent-devbot");
            assert.deepStrictEqual(role.rules, [
                {
                    apiGroups: ["snapshot.storage.k8s.io"],
                    resources: ["volumesnapshots"],
                    verbs: ["create", "list", "delete"],
                },
            ]);
            const binding = object(run, "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding", "devbot-backup");
            assert.deepStrictEqual(binding.subjects, [
                { kind: "ServiceAccount", name: "devbot-backup", namespace: "agent-devbot" },
            ]);
            assert.deepStrictEqual(binding.roleRef, {
                apiGroup: "rbac.authorization.k8s.io",
                kind: "Role",
                name: "devbot-backup",
            });
            assert.strictEqual(
                object(run, "kubernetes:core/v1:ServiceAccount", "devbot-backup").automountServiceAccountToken,
                false,
            );
        });

        it("runs the committed program in the shell image on the schedule, with the retention in seconds", () => {
            const cronJob = object(run, CRON_JOB, "devbot-backup");
            assert.strictEqual(cronJob.spec.schedule, "0 3 * * *");
            assert.strictEqual(cronJob.spec.concurrencyPolicy, "Forbid");
            const pod = cronJob.spec.jobTemplate.spec.template.spec;
            assert.strictEqual(pod.serviceAccountName, "devbot-backup");
            assert.strictEqual(pod.automountServiceAccountToken, true);
            const [container] = pod.containers;
            const shellImage = object(
                run,
                "kubernetes:apps/v1:Deployment",
                "devbot-computer",
            ).spec.template.spec.containers.find((c: any) => c.name === "shell").image;
            assert.strictEqual(container.image, shellImage);
            const env = Object.fromEntries(container.env.map((e: any) => [e.name, e.value]));
            assert.deepStrictEqual(env, {
                NAMESPACE: "agent-devbot",
                CLAIM: "devbot-workspace",
                SNAPSHOT_LABELS: JSON.stringify({
                    "persistent-agents.dev/agent": "devbot",
                    "persistent-agents.dev/backup-of": "devbot-workspace",
                    "app.kubernetes.io/managed-by": "persistent-agents-backup",
                }),
                SNAPSHOT_SELECTOR: "persistent-agents.dev/backup-of=devbot-workspace",
                SNAPSHOT_CLASS: "csi-snapshots",
                RETAIN_COUNT: "7",
                RETAIN_MAX_AGE_SECONDS: String(30 * 86400),
                NODE_EXTRA_CA_CERTS: "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt",
            });
            assert.deepStrictEqual(container.securityContext.capabilities, { drop: ["ALL"] });
            const script = object(run, "kubernetes:core/v1:ConfigMap", "devbot-backup-script");
            assert.strictEqual(
                script.data["snapshot-workspace.mjs"],
                fs.readFileSync(path.join(repo, "backup", "snapshot-workspace.mjs"), "utf8"),
            );
        });

        it("lets the backup pod out to the API server's addresses only", () => {
            const policy = object(run, "kubernetes:networking.k8s.io/v1:NetworkPolicy", "devbot-backup-egress");
            assert.deepStrictEqual(policy.spec.egress, [
                {
                    to: [{ ipBlock: { cidr: "10.0.0.1/32" } }, { ipBlock: { cidr: "192.168.10.0/24" } }],
                    ports: [
                        { protocol: "TCP", port: 443 },
                        { protocol: "TCP", port: 6443 },
                    ],
                },
            ]);
        });

        it("counts the backup pod in the namespace quota", async () => {
            const without = await runProgram({ config: stackConfig("test-cluster") });
            const hard = (r: ProgramRun) => r.one("kubernetes:core/v1:ResourceQuota", "devbot-quota").inputs.spec.hard;
            assert.strictEqual(hard(run)["requests.cpu"], "810m", `was ${hard(without)["requests.cpu"]}`);
            assert.strictEqual(hard(run)["requests.memory"], "2112Mi", `was ${hard(without)["requests.memory"]}`);
        });
    });

    it("with pauseJobs, gives the backup pod the shell's token and address and a path to the shell's port only", async () => {
        const run = await runProgram({
            config: withBackup({ apiServer: { cidrs: ["10.0.0.1/32"] } }, { ...BACKUP, pauseJobs: true }),
        });
        const pod = object(run, CRON_JOB, "devbot-backup").spec.jobTemplate.spec.template.spec;
        const env = Object.fromEntries(pod.containers[0].env.map((e: any) => [e.name, e.value]));
        assert.strictEqual(
            env.SHELL_URL,
            "http://$(DEVBOT_COMPUTER_SERVICE_HOST):$(DEVBOT_COMPUTER_SERVICE_PORT_SHELL_MCP)",
        );
        assert.strictEqual(env.SHELL_TOKEN_FILE, "/var/run/secrets/agent/mcp/mcp-token");
        assert.deepStrictEqual(pod.volumes.find((v: any) => v.name === "mcp-token").secret, {
            secretName: "devbot-credentials",
            items: [{ key: "mcp-token", path: "mcp-token" }],
        });
        const computer = {
            matchLabels: {
                "app.kubernetes.io/name": "persistent-agent",
                "app.kubernetes.io/component": "computer",
                "persistent-agents.dev/agent": "devbot",
            },
        };
        const policies = run.byType("kubernetes:networking.k8s.io/v1:NetworkPolicy").map((p) => p.inputs);
        const toShell = policies.find((p) => p.metadata.name === "devbot-backup-to-shell");
        assert.deepStrictEqual(toShell.spec.podSelector, computer);
        assert.deepStrictEqual(toShell.spec.ingress[0].ports, [{ protocol: "TCP", port: 8081 }]);
        const egress = policies.find((p) => p.metadata.name === "devbot-backup-egress");
        assert.deepStrictEqual(egress.spec.egress[1], {
            to: [{ podSelector: computer }],
            ports: [{ protocol: "TCP", port: 8081 }],
        });
        const without = await runProgram({ config: withBackup({ apiServer: { cidrs: ["10.0.0.1/32"] } }) });
        const plain = object(without, CRON_JOB, "devbot-backup").spec.jobTemplate.spec.template.spec;
        assert.ok(
            !plain.containers[0].env.some((e: any) => e.name === "SHELL_URL"),
            "no token, no address without pauseJobs",
        );
        assert.ok(!plain.volumes.some((v: any) => v.name === "mcp-token"));
        assert.ok(
            !without
                .byType("kubernetes:networking.k8s.io/v1:NetworkPolicy")
                .some((p) => p.inputs.metadata.name === "devbot-backup-to-shell"),
        );
    });

    it("uses a snapscheduler SnapshotSchedule instead when platform.backup.engine says so", async () => {
        const run = await runProgram({ config: withBackup({ engine: "snapscheduler" }) });
        assert.deepStrictEqual(run.byType(CRON_JOB), []);
        const schedule = object(run, "kubernetes:snapscheduler.backube/v1:SnapshotSchedule", "devbot-workspace");
        assert.deepStrictEqual(schedule.spec, {
            schedule: "0 3 * * *",
            claimSelector: {
                matchLabels: { "persistent-agents.dev/agent": "devbot", "app.kubernetes.io/component": "workspace" },
            },
            retention: { maxCount: 7, expires: "720h" },
            snapshotTemplate: {
                labels: {
                    "persistent-agents.dev/agent": "devbot",
                    "persistent-agents.dev/backup-of": "devbot-workspace",
                },
                snapshotClassName: "csi-snapshots",
            },
        });
    });

    it("creates the workspace claim from storage.restoreFrom, and only the workspace claim", async () => {
        const config = copy(stackConfig("test-cluster"));
        config.agents[0].storage = { ...config.agents[0].storage, restoreFrom: "devbot-workspace-20261130-030000" };
        const run = await runProgram({ config });
        assert.deepStrictEqual(
            object(run, "kubernetes:core/v1:PersistentVolumeClaim", "devbot-workspace").spec.dataSource,
            { apiGroup: "snapshot.storage.k8s.io", kind: "VolumeSnapshot", name: "devbot-workspace-20261130-030000" },
        );
        assert.strictEqual(
            object(run, "kubernetes:core/v1:PersistentVolumeClaim", "devbot-config").spec.dataSource,
            undefined,
        );
        assert.strictEqual(
            object(run, "kubernetes:core/v1:PersistentVolumeClaim", "databot-workspace").spec.dataSource,
            undefined,
        );
    });

    describe("retention never deletes the snapshot the workspace claim is restored from (issue 21)", () => {
        const RESTORE = "devbot-workspace-20261130-030000";
        const restoring = (platformBackup: Record<string, unknown>) => {
            const config = withBackup(platformBackup);
            config.agents[0].storage.restoreFrom = RESTORE;
            return config;
        };
        const plan = (config: Record<string, any>) =>
            compileStack({ values: config, isSecret: () => true, stackName: "test-cluster" });

        it("tells the CronJob's program to keep it", async () => {
            const run = await runProgram({ config: restoring({ apiServer: { cidrs: ["10.0.0.1/32"] } }) });
            const [container] = object(run, CRON_JOB, "devbot-backup").spec.jobTemplate.spec.template.spec.containers;
            assert.deepStrictEqual(
                container.env.filter((e: any) => e.name === "KEEP_SNAPSHOTS"),
                [{ name: "KEEP_SNAPSHOTS", value: RESTORE }],
            );
            assert.deepStrictEqual(plan(restoring({ apiServer: { cidrs: ["10.0.0.1/32"] } })).warnings, []);
        });

        it("warns at preview with snapscheduler, which cannot be told, saying how to keep it", () => {
            assert.deepStrictEqual(plan(restoring({ engine: "snapscheduler" })).warnings, [
                `agents[0].storage.restoreFrom: if ${RESTORE} is a snapshot of the schedule devbot-workspace, ` +
                    "snapscheduler's retention will delete it, and a workspace claim created from it again would stay " +
                    `Pending; keep it with: kubectl -n agent-devbot label volumesnapshot ${RESTORE} ` +
                    "snapscheduler.backube/schedule- (docs/runbook.md, restore)",
            ]);
            assert.deepStrictEqual(plan(withBackup({ engine: "snapscheduler" })).warnings, []);
        });
    });

    it("refuses bad backup settings, naming the field and the fix", async () => {
        const message = await problemsOf(
            withBackup({}, { schedule: "every night", retention: {}, volumeSnapshotClass: "Bad_Class" }),
        );
        assert.match(
            message,
            /agents\[0\]\.storage\.backup\.schedule: "every night" is not a cron schedule: write five fields/,
        );
        assert.match(message, /agents\[0\]\.storage\.backup\.retention: needs count, maxAge or both/);
        assert.match(message, /agents\[0\]\.storage\.backup\.volumeSnapshotClass: "Bad_Class"/);
        // Checked once each entry is valid on its own.
        const noApiServer = await problemsOf(withBackup({}));
        assert.match(
            noApiServer,
            /platform\.apiServer\.cidrs: is empty, but agents\[0\]\.storage\.backup needs the backup pod to reach the API server/,
        );
        // The key's old home says where it went.
        const moved = copy(withBackup({}));
        moved.platform.backup = { apiServer: { cidrs: ["10.0.0.1/32"] } };
        assert.match(
            await problemsOf(moved),
            /platform\.backup\.apiServer: has moved to platform\.apiServer: set the same value there/,
        );
        assert.ok(
            (await runProgram({ config: withBackup({ engine: "snapscheduler" }) })).resources.length > 0,
            "snapscheduler needs no API-server egress",
        );
        const ranges = await problemsOf(
            withBackup(
                { apiServer: { cidrs: ["10.0.0.1/32"] } },
                { schedule: "0 25 * * *", retention: { count: 0, maxAge: "2 weeks" }, volumeSnapshotClass: "csi" },
            ),
        );
        assert.match(ranges, /schedule: "0 25 \* \* \*" has "25" as its hour: use numbers 0-23/);
        assert.match(ranges, /retention\.count: 0 is not a whole number from 1 to 1000/);
        assert.match(ranges, /retention\.maxAge: "2 weeks" is not an age/);
        const hookless = await problemsOf(withBackup({ engine: "snapscheduler" }, { ...BACKUP, pauseJobs: true }));
        assert.match(hookless, /agents\[0\]\.storage\.backup\.pauseJobs: needs platform\.backup\.engine cronjob/);
    });
});
