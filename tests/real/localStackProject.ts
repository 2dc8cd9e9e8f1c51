/**
 * The local stack in a throw-away Pulumi project: a temp folder with a copy of Pulumi.yaml whose `main`
 * points back at this repository's program, and a copy of Pulumi.local.yaml aimed at the real tier's own API
 * server. `pulumi config set` edits the copy, never the tracked file; the state lives in the file backend
 * tests/real/run.sh made (PULUMI_BACKEND_URL), never the user's.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as yaml from "js-yaml";
import * as path from "node:path";
import { REPO_ROOT } from "../harness/stackFile";
import { type CommandResult, kubeconfig } from "./kube";

export const STACK = "local";
/** Provider keys that pick where objects go; the copy replaces them with the real tier's kubeconfig. */
const TARGET_KEYS = [
    "kubernetes:kubeconfig",
    "kubernetes:context",
    "kubernetes:cluster",
    "kubernetes:renderYamlToDirectory",
];

export interface PreviewStep {
    op: string;
    urn: string;
}

export class LocalStackProject {
    readonly configFile: string;

    private constructor(readonly dir: string) {
        this.configFile = path.join(dir, `Pulumi.${STACK}.yaml`);
    }

    /** A project `create` laid out earlier (another test file of the same run). */
    static open(dir: string): LocalStackProject {
        if (!fs.existsSync(path.join(dir, "Pulumi.yaml"))) {
            throw new Error(`${dir} holds no project: the test that creates it runs first`);
        }
        return new LocalStackProject(dir);
    }

    /**
     * Lays the project out in `dir` and creates the stack in the real tier's file backend. `agents`, when
     * given, replaces the stack's agents in the copy (the benchmark deploys 1, 10 and 50). The real tier
     * has no node: every agent of the copy is suspended (a 1-replica computer would make `up` wait for a
     * pod that never starts), unless `node` says a node runs them.
     */
    static create(dir: string, agents?: unknown[], options: { node?: boolean } = {}): LocalStackProject {
        for (const variable of ["PULUMI_BACKEND_URL", "PULUMI_CONFIG_PASSPHRASE"]) {
            if (!process.env[variable]?.length) {
                throw new Error(`${variable} is not set: run the real tier through tests/real/run.sh`);
            }
        }
        if (!process.env.PULUMI_BACKEND_URL!.startsWith("file://")) {
            throw new Error(
                `PULUMI_BACKEND_URL=${process.env.PULUMI_BACKEND_URL}: the real tier only uses a file backend of its own`,
            );
        }
        fs.mkdirSync(dir, { recursive: true });
        const project = yaml.load(fs.readFileSync(path.join(REPO_ROOT, "Pulumi.yaml"), "utf8")) as Record<
            string,
            unknown
        >;
        project.main = path.relative(dir, REPO_ROOT);
        fs.writeFileSync(path.join(dir, "Pulumi.yaml"), yaml.dump(project));

        const stackFile = yaml.load(fs.readFileSync(path.join(REPO_ROOT, `Pulumi.${STACK}.yaml`), "utf8")) as {
            config: Record<string, unknown>;
        };
        for (const key of TARGET_KEYS) {
            delete stackFile.config[key];
        }
        stackFile.config["kubernetes:kubeconfig"] = kubeconfig();
        if (agents) {
            stackFile.config["persistent-agents:agents"] = agents;
        }
        if (!options.node) {
            const listed = stackFile.config["persistent-agents:agents"] as Record<string, unknown>[];
            stackFile.config["persistent-agents:agents"] = listed.map((agent) => ({ ...agent, suspended: true }));
        }
        const local = new LocalStackProject(dir);
        fs.writeFileSync(local.configFile, yaml.dump(stackFile));
        local.pulumiOk(["stack", "init", STACK, "--secrets-provider", "passphrase"], { stack: false });
        return local;
    }

    pulumi(args: string[], options: { stack?: boolean; env?: NodeJS.ProcessEnv } = {}): CommandResult {
        const run = spawnSync(
            "pulumi",
            [...args, ...(options.stack === false ? [] : ["--stack", STACK]), "--non-interactive"],
            {
                cwd: this.dir,
                encoding: "utf8",
                // 15 minutes for the tier; the real-engine bench's 100 agents on a busy machine take longer.
                timeout: Number(process.env.REAL_TIER_PULUMI_TIMEOUT_MINUTES ?? 15) * 60_000,
                maxBuffer: 64 * 1024 * 1024,
                env: { ...process.env, PULUMI_SKIP_UPDATE_CHECK: "true", ...options.env },
            },
        );
        if (run.error) {
            throw run.error;
        }
        return { status: run.status, stdout: run.stdout, stderr: run.stderr };
    }

    pulumiOk(args: string[], options: { stack?: boolean; env?: NodeJS.ProcessEnv } = {}): CommandResult {
        const result = this.pulumi(args, options);
        if (result.status !== 0) {
            throw new Error(
                `pulumi ${args.join(" ")} exited with ${result.status}:\n${result.stdout}\n${result.stderr}`,
            );
        }
        return result;
    }

    up(): CommandResult {
        return this.pulumiOk(["up", "--yes", "--skip-preview"]);
    }

    /** The steps `pulumi preview` plans, from its JSON output. */
    preview(extra: string[] = []): PreviewStep[] {
        const result = this.pulumiOk(["preview", "--json", ...extra]);
        const plan = JSON.parse(result.stdout) as { steps?: PreviewStep[] };
        return (plan.steps ?? []).map((step) => ({ op: step.op, urn: step.urn }));
    }

    /** URNs of the resources in the stack's state. */
    stateUrns(): string[] {
        const exported = JSON.parse(this.pulumiOk(["stack", "export"]).stdout);
        return (exported.deployment.resources ?? []).map((r: { urn: string }) => r.urn);
    }

    setConfig(keyPath: string, value: string): void {
        this.pulumiOk(["config", "set", "--path", keyPath, value]);
    }

    removeConfig(keyPath: string): void {
        this.pulumiOk(["config", "rm", "--path", keyPath]);
    }
}
