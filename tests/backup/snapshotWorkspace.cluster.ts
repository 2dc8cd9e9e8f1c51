/**
 * The backup program (backup/snapshot-workspace.mjs) against a real kube-apiserver with the upstream
 * VolumeSnapshot CRDs (external-snapshotter v8.6.0), as the ServiceAccount and Role the stack renders
 * (components/render/backup.ts), with a real token of that account: it creates snapshots, lists them and prunes
 * them by count and by age, and can do nothing else. Run by tests/backup/run.sh, which starts the API server
 * (scripts/local-cluster.sh) and exports KUBECONFIG and LOCAL_CLUSTER_DIR.
 */
import * as assert from "node:assert";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import { createRequire } from "node:module";
import * as path from "node:path";
import { parseStackConfig } from "../../components/config";
import { BACKUP_OF_LABEL } from "../../components/contract/labels";
import { planAgent } from "../../components/plan";
import { BACKUP_PROGRAM_FILE } from "../../components/plan/backup";
import { backupObjects } from "../../components/render/backup";
import { kubectl } from "../real/kube";

const NAMESPACE = "agent-devbot";
const CLAIM = "devbot-workspace";
/** The backup plan of an agent of a stack with the CronJob engine, as the stack plans it. */
const backup = (() => {
    const { platform, agents } = parseStackConfig({
        values: {
            platform: {
                registry: "registry.example.com",
                giteaHost: "git.example.com",
                vault: { address: "http://vault.vault:8200" },
                backup: { engine: "cronjob" },
                apiServer: { cidrs: ["10.0.0.1/32"], ports: [443, 6443] },
            },
            agents: [
                {
                    name: "devbot",
                    storage: {
                        backup: {
                            schedule: "0 3 * * *",
                            retention: { count: 3, maxAge: "30d" },
                            volumeSnapshotClass: "csi-snapshots",
                            pauseJobs: true,
                        },
                        // The first snapshot the tests take: retention must keep it whatever its age or rank.
                        restoreFrom: "devbot-workspace-20261101-030000",
                    },
                },
            ],
        },
        isSecret: () => true,
        stackName: "backup-test",
    });
    const plan = planAgent(agents[0], platform).backup;
    assert.ok(plan?.cronJob, "the CronJob engine plans a CronJob");
    return { plan, cronJob: plan.cronJob };
})();
/** The program's settings as the CronJob passes them, but where the pod would reach the shell and the API. */
const planEnv = Object.fromEntries(
    backup.cronJob.env
        .filter(
            ({ name }) => !["SHELL_URL", "SHELL_TOKEN_FILE", "PAUSE_MAX_SECONDS", "NODE_EXTRA_CA_CERTS"].includes(name),
        )
        .map(({ name, value }) => [name, value]),
);
const SHELL_IMAGE = `registry.example.com/agents/shell@sha256:${"ab".repeat(32)}`;

function must(args: string[], input?: string): string {
    const result = kubectl(args, input);
    assert.strictEqual(result.status, 0, `kubectl ${args.join(" ")}: ${result.stderr}`);
    return result.stdout;
}

function snapshots(selector = `${BACKUP_OF_LABEL}=${CLAIM}`): any[] {
    return JSON.parse(must(["get", "volumesnapshots", "-n", NAMESPACE, "-l", selector, "-o", "json"])).items;
}
const names = (items: any[]) => items.map((s) => s.metadata.name).sort();

function apiServerUrl(): string {
    return JSON.parse(must(["config", "view", "--minify", "--raw", "-o", "json"])).clusters[0].cluster.server;
}

let tokenFile: string;

/** Runs the program as the CronJob's pod would, with the backup ServiceAccount's token. */
function runBackup(now: string, retention = backup.plan.retention) {
    const run = spawnSync(process.execPath, [BACKUP_PROGRAM_FILE], {
        encoding: "utf8",
        timeout: 60_000,
        env: {
            PATH: process.env.PATH,
            KUBE_API_URL: apiServerUrl(),
            KUBE_TOKEN_FILE: tokenFile,
            NODE_EXTRA_CA_CERTS: path.join(process.env.LOCAL_CLUSTER_DIR!, "pki", "ca.crt"),
            ...planEnv,
            RETAIN_COUNT: String(retention.count),
            RETAIN_MAX_AGE_SECONDS: String(retention.maxAgeSeconds),
            BACKUP_NOW: now,
        },
    });
    const events = run.stdout
        .trim()
        .split("\n")
        .filter(Boolean)
        .map((line) => JSON.parse(line));
    return { status: run.status, events, stderr: run.stderr };
}

describe("backup program against a real API server", function () {
    this.timeout(120_000);

    before(() => {
        assert.ok(process.env.LOCAL_CLUSTER_DIR, "run through tests/backup/run.sh (it starts the API server)");
        must(
            ["apply", "--server-side", "-f", "-"],
            JSON.stringify({ apiVersion: "v1", kind: "Namespace", metadata: { name: NAMESPACE } }),
        );
        must(
            ["apply", "--server-side", "-f", "-"],
            JSON.stringify({ apiVersion: "v1", kind: "Namespace", metadata: { name: "agent-databot" } }),
        );
        // Everything the stack renders for the CronJob engine, applied as is (the CronJob validates too).
        const objects = backupObjects("devbot", backup.plan, { shell: SHELL_IMAGE }).map(({ object }) => object);
        must(["apply", "--server-side", "-f", "-"], JSON.stringify({ apiVersion: "v1", kind: "List", items: objects }));
        const token = must(["create", "token", backup.cronJob.name, "-n", NAMESPACE, "--duration", "10m"]).trim();
        tokenFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "backup-token-")), "token");
        fs.writeFileSync(tokenFile, token);
        // A snapshot of another claim, which pruning must never touch.
        must(
            ["apply", "--server-side", "-f", "-"],
            JSON.stringify({
                apiVersion: "snapshot.storage.k8s.io/v1",
                kind: "VolumeSnapshot",
                metadata: {
                    name: "devbot-config-manual",
                    namespace: NAMESPACE,
                    labels: { [BACKUP_OF_LABEL]: "devbot-config" },
                },
                spec: {
                    volumeSnapshotClassName: "csi-snapshots",
                    source: { persistentVolumeClaimName: "devbot-config" },
                },
            }),
        );
    });

    it("creates a VolumeSnapshot of the claim with the given class and labels", () => {
        const run = runBackup("2026-11-01T03:00:00Z");
        assert.strictEqual(run.status, 0, run.stderr + JSON.stringify(run.events));
        const [snapshot] = snapshots();
        assert.strictEqual(snapshot.metadata.name, "devbot-workspace-20261101-030000");
        assert.deepStrictEqual(snapshot.spec, {
            volumeSnapshotClassName: "csi-snapshots",
            source: { persistentVolumeClaimName: CLAIM },
        });
        assert.strictEqual(snapshot.metadata.labels["persistent-agents.dev/agent"], "devbot");
        assert.deepStrictEqual(
            run.events.map((e) => e.event),
            ["created", "done"],
        );
    });

    it("keeps the newest `count` snapshots of the claim and prunes the rest, leaving other claims and the restore snapshot alone", () => {
        for (const day of ["02", "03", "04"]) {
            assert.strictEqual(runBackup(`2026-11-${day}T03:00:00Z`).status, 0);
        }
        // The API server stamps creation to the second: these runs share it, so the name (time) decides.
        // The 1st is beyond the count (3), but storage.restoreFrom names it: the claim is created from it.
        assert.deepStrictEqual(names(snapshots()), [
            "devbot-workspace-20261101-030000",
            "devbot-workspace-20261102-030000",
            "devbot-workspace-20261103-030000",
            "devbot-workspace-20261104-030000",
        ]);
        assert.deepStrictEqual(names(snapshots(`${BACKUP_OF_LABEL}=devbot-config`)), ["devbot-config-manual"]);
    });

    it("prunes by age, but keeps the newest snapshot that is ready to use", () => {
        // What the snapshot controller would record once the storage snapshot exists.
        must([
            "patch",
            "volumesnapshot",
            "devbot-workspace-20261103-030000",
            "-n",
            NAMESPACE,
            "--subresource=status",
            "--type=merge",
            "-p",
            JSON.stringify({ status: { readyToUse: true } }),
        ]);
        // 40 days on, every earlier snapshot is older than maxAge (30 days); the ready one stays.
        const run = runBackup(new Date(Date.now() + 40 * 86400_000).toISOString());
        assert.strictEqual(run.status, 0, run.stderr);
        const left = names(snapshots());
        assert.strictEqual(left.length, 3, `left: ${left}`);
        assert.ok(left.includes("devbot-workspace-20261103-030000"), "the last good backup survives");
        assert.ok(left.includes("devbot-workspace-20261101-030000"), "the restore snapshot survives");
        assert.deepStrictEqual(
            run.events
                .filter((e) => e.event === "pruned")
                .map((e) => e.snapshot)
                .sort(),
            ["devbot-workspace-20261102-030000", "devbot-workspace-20261104-030000"],
        );
    });

    it("may create, list and delete VolumeSnapshots in its own namespace, and nothing else", () => {
        const as = `system:serviceaccount:${NAMESPACE}:${backup.cronJob.name}`;
        const can = (verb: string, resource: string, namespace = NAMESPACE) =>
            kubectl(["auth", "can-i", verb, resource, "-n", namespace, "--as", as]).stdout.trim();
        for (const verb of ["create", "list", "delete"]) {
            assert.strictEqual(can(verb, "volumesnapshots.snapshot.storage.k8s.io"), "yes", verb);
            assert.strictEqual(
                can(verb, "volumesnapshots.snapshot.storage.k8s.io", "agent-databot"),
                "no",
                `${verb} in another namespace`,
            );
        }
        for (const [verb, resource] of [
            ["get", "volumesnapshots.snapshot.storage.k8s.io"],
            ["patch", "volumesnapshots.snapshot.storage.k8s.io"],
            ["get", "secrets"],
            ["list", "persistentvolumeclaims"],
            ["create", "pods"],
            ["delete", "volumesnapshotcontents.snapshot.storage.k8s.io"],
        ]) {
            assert.strictEqual(can(verb, resource), "no", `${verb} ${resource}`);
        }
    });

    it("fails with the API server's reason when it may not act, and names a missing setting", () => {
        const forbidden = spawnSync(process.execPath, [BACKUP_PROGRAM_FILE], {
            encoding: "utf8",
            env: {
                PATH: process.env.PATH,
                KUBE_API_URL: apiServerUrl(),
                KUBE_TOKEN_FILE: tokenFile,
                NODE_EXTRA_CA_CERTS: path.join(process.env.LOCAL_CLUSTER_DIR!, "pki", "ca.crt"),
                ...planEnv,
                NAMESPACE: "agent-databot",
                CLAIM: "databot-workspace",
                SNAPSHOT_SELECTOR: "persistent-agents.dev/backup-of=databot-workspace",
                SNAPSHOT_LABELS: JSON.stringify({ "persistent-agents.dev/backup-of": "databot-workspace" }),
                RETAIN_COUNT: "3",
            },
        });
        assert.strictEqual(forbidden.status, 1);
        assert.match(forbidden.stdout, /"event":"failed".*403.*cannot create resource \\"volumesnapshots\\"/);
        const unset = runBackup("2026-11-05T03:00:00Z", { count: 0, maxAgeSeconds: 0 });
        assert.strictEqual(unset.status, 1);
        assert.match(unset.events[0].error, /RETAIN_COUNT and RETAIN_MAX_AGE_SECONDS are both 0/);
    });
});

/**
 * The pre-snapshot hook (storage.backup.pauseJobs) with the real shell server (images/shell, built): its
 * jobs stop before the snapshot is requested and run again once the storage has cut it.
 */
describe("pre-snapshot hook with the real shell server", function () {
    this.timeout(120_000);
    const repo = path.join(__dirname, "..", "..");
    // The shell server's own SDK, as it resolves it (an npm workspace: hoisted into the root node_modules).
    const fromShell = createRequire(path.join(repo, "images", "shell", "package.json"));
    const sdk = path.dirname(fromShell.resolve("@modelcontextprotocol/sdk/client/index.js"));
    let shell: ChildProcess;
    let shellUrl: string;
    let shellToken: string;
    let ticks: string;
    let client: any;

    const size = () => fs.statSync(ticks).size;
    const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

    before(async () => {
        const workspace = fs.mkdtempSync(path.join(os.tmpdir(), "backup-hook-workspace-"));
        shellToken = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "backup-hook-token-")), "mcp-token");
        fs.writeFileSync(shellToken, "hook-test-token\n");
        shell = spawn(process.execPath, [path.join(repo, "images", "shell", "dist", "main.js")], {
            env: {
                ...process.env,
                HOME: workspace,
                HOST: "127.0.0.1",
                // Ports the kernel picks, read back from the server's "listening" line.
                PORT: "0",
                METRICS_PORT: "0",
                WORKSPACE_DIR: workspace,
                MCP_AUTH_TOKEN_FILE: shellToken,
            },
            stdio: ["ignore", "ignore", "pipe"],
        });
        const port = await new Promise<number>((resolve, reject) => {
            let seen = "";
            shell.stderr!.on("data", (chunk: Buffer) => {
                seen += chunk.toString();
                const line = seen.split("\n").find((candidate) => candidate.includes('"msg":"listening"'));
                if (line) resolve(JSON.parse(line).port);
            });
            shell.once("exit", (code) => reject(new Error(`shell server exited with ${code}: ${seen}`)));
        });
        shellUrl = `http://127.0.0.1:${port}`;
        const { Client } = require(path.join(sdk, "index.js"));
        const { StreamableHTTPClientTransport } = require(path.join(sdk, "streamableHttp.js"));
        client = new Client({ name: "backup-hook-test", version: "0.0.0" });
        await client.connect(
            new StreamableHTTPClientTransport(new URL(`${shellUrl}/mcp`), {
                requestInit: { headers: { Authorization: "Bearer hook-test-token" } },
            }),
        );
        ticks = path.join(workspace, "ticks");
        const started = await client.callTool({
            name: "start_job",
            arguments: { command: `while true; do echo tick >> ${ticks}; sleep 0.1; done` },
        });
        assert.ok(!started.isError, JSON.stringify(started.content));
        await sleep(500);
        assert.ok(size() > 0, "the job writes");
    });

    after(async () => {
        await client?.close();
        shell?.kill("SIGTERM");
    });

    /**
     * Runs the backup program with the hook, as the backup ServiceAccount (the token of the first suite);
     * `whileCreated` runs once the snapshot exists and before it is cut.
     */
    async function backupWithHook(
        now: string,
        whileCreated: (name: string) => Promise<void>,
        shellTokenValue = "hook-test-token",
    ) {
        const shellTokenFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "backup-hook-")), "mcp-token");
        fs.writeFileSync(shellTokenFile, shellTokenValue);
        const program = spawn(process.execPath, [BACKUP_PROGRAM_FILE], {
            env: {
                PATH: process.env.PATH,
                KUBE_API_URL: apiServerUrl(),
                KUBE_TOKEN_FILE: tokenFile,
                NODE_EXTRA_CA_CERTS: path.join(process.env.LOCAL_CLUSTER_DIR!, "pki", "ca.crt"),
                ...planEnv,
                RETAIN_COUNT: "10",
                SHELL_URL: shellUrl,
                SHELL_TOKEN_FILE: shellTokenFile,
                PAUSE_MAX_SECONDS: "60",
                BACKUP_NOW: now,
            },
            stdio: ["ignore", "pipe", "pipe"],
        });
        const events: any[] = [];
        let pending = "";
        let stderr = "";
        program.stderr!.on("data", (chunk: Buffer) => {
            stderr += chunk.toString();
        });
        const exited = new Promise<number | null>((resolve) => program.once("exit", resolve));
        const created = new Promise<string>((resolve) =>
            program.stdout!.on("data", (chunk: Buffer) => {
                pending += chunk.toString();
                const lines = pending.split("\n");
                pending = lines.pop()!;
                for (const line of lines) {
                    const event = JSON.parse(line);
                    events.push(event);
                    if (event.event === "created") resolve(event.snapshot);
                }
            }),
        );
        const gone = exited.then((code) => {
            throw new Error(`exited (${code}) before creating: ${stderr} ${JSON.stringify(events)}`);
        });
        const name = await Promise.race([created, gone]);
        gone.catch(() => undefined);
        await whileCreated(name);
        return { status: await exited, events, stderr };
    }

    it("keeps the jobs stopped from before the snapshot until it is cut, then lets them run", async () => {
        const run = await backupWithHook("2026-12-01T03:00:00Z", async (name) => {
            const before = size();
            await sleep(1000);
            assert.strictEqual(size(), before, "the job wrote while the snapshot was being taken");
            // What the snapshot controller records when the storage has cut the snapshot.
            must([
                "patch",
                "volumesnapshot",
                name,
                "-n",
                NAMESPACE,
                "--subresource=status",
                "--type=merge",
                "-p",
                JSON.stringify({ status: { creationTime: new Date().toISOString(), readyToUse: false } }),
            ]);
        });
        assert.strictEqual(run.status, 0, run.stderr + JSON.stringify(run.events));
        assert.deepStrictEqual(
            run.events.map((e) => e.event).filter((e) => e !== "pruned"),
            ["jobs_paused", "created", "cut", "jobs_resumed", "done"],
        );
        assert.strictEqual(run.events[0].jobs.length, 1, "the running job was paused");
        const after = size();
        await sleep(1000);
        assert.ok(size() > after, "the job runs again");
    });

    it("still takes the snapshot when the shell server refuses the pause", async () => {
        const run = await backupWithHook(
            "2026-12-02T03:00:00Z",
            async () => {
                const before = size();
                await sleep(500);
                assert.ok(size() > before, "nothing was paused");
            },
            "not-the-token",
        );
        assert.strictEqual(run.status, 0, run.stderr);
        assert.deepStrictEqual(
            run.events.map((e) => e.event).filter((e) => e !== "pruned"),
            ["pause_failed", "created", "done"],
        );
        assert.match(run.events[0].error, /401/);
    });
});
