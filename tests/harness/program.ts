/**
 * Runs the Pulumi program (index.ts) under mocks and records every resource it registers, with the
 * options mocks otherwise drop (protect, retainOnDelete, parent, dependencies).
 */
import * as pulumi from "@pulumi/pulumi";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

export const PROJECT = "persistent-agents";
const PROGRAM = path.join(__dirname, "..", "..", "index.ts");
/** Pulumi's marker for a secret value in serialized properties. */
export const SECRET_SIG = "4dabf18193072939515e22adb298388d";

export interface RegisteredResource {
    type: string;
    name: string;
    urn: string;
    parent: string;
    custom: boolean;
    inputs: any;
    protect: boolean;
    retainOnDelete: boolean;
    dependencies: string[];
}

export interface ProgramRun {
    resources: RegisteredResource[];
    outputs: Record<string, any>;
    /** Kubernetes objects (apiVersion/kind/metadata/…) as the provider would receive them. */
    kubernetesObjects: any[];
    byType(type: string): RegisteredResource[];
    one(type: string, name: string): RegisteredResource;
}

/** The program threw while it ran; `registered` resources had been registered by then. */
export class ProgramError extends Error {
    constructor(readonly cause: Error, readonly registered: number) {
        super(cause.message);
        this.name = "ProgramError";
    }
}

export interface RunOptions {
    /** Config values by key (without the project prefix); objects are JSON-encoded. */
    config: Record<string, unknown>;
    /** Keys (without prefix) Pulumi holds as secrets. */
    secretKeys?: string[];
    dryRun?: boolean;
    stack?: string;
    /** Another program file to run instead of index.ts (benchmarks compare against a peer program). */
    program?: string;
    /**
     * The text of `Pulumi.<stack>.yaml` as the program finds it in its working folder (where it looks
     * for `secure:` markers per value); the run then happens in a temporary folder holding only it.
     */
    stackFile?: string;
}

export async function runProgram(options: RunOptions): Promise<ProgramRun> {
    const resources: RegisteredResource[] = [];
    const dryRun = options.dryRun ?? false;
    await pulumi.runtime.setMocks({
        newResource: (args) => ({ id: dryRun ? undefined : `${args.name}-id`, state: mockState(args, dryRun) }),
        call: (args) => args.inputs,
    }, PROJECT, options.stack ?? "test-cluster", dryRun);
    recordRequests(resources);

    const config: Record<string, string> = {};
    for (const [key, value] of Object.entries(options.config)) {
        config[`${PROJECT}:${key}`] = typeof value === "string" ? value : JSON.stringify(value);
    }
    pulumi.runtime.setAllConfig(config, (options.secretKeys ?? []).map((key) => `${PROJECT}:${key}`));

    const waitForRegistrations = (pulumi.runtime as unknown as { waitForRPCs(): Promise<void> }).waitForRPCs;
    const file = options.program ?? PROGRAM;
    delete require.cache[require.resolve(file)];
    let program: Record<string, unknown>;
    const workingFolder = process.cwd();
    try {
        if (options.stackFile !== undefined) {
            const folder = fs.mkdtempSync(path.join(os.tmpdir(), "stack-file-"));
            fs.writeFileSync(path.join(folder, `Pulumi.${options.stack ?? "test-cluster"}.yaml`), options.stackFile);
            process.chdir(folder);
        }
        program = require(file);
    } catch (err) {
        await waitForRegistrations();
        throw new ProgramError(err as Error, resources.length);
    } finally {
        process.chdir(workingFolder);
    }
    const outputs = await settle(program);
    await waitForRegistrations();

    const byType = (type: string) => resources.filter((r) => r.type === type);
    return {
        resources,
        outputs,
        kubernetesObjects: resources.filter((r) => r.type.startsWith("kubernetes:")).map((r) => r.inputs),
        byType,
        one(type, name) {
            const found = resources.filter((r) => r.type === type && r.name === name);
            if (found.length !== 1) {
                throw new Error(`expected one ${type} named ${name}, found ${found.length}: ${resources.map((r) => `${r.type}/${r.name}`).join(", ")}`);
            }
            return found[0];
        },
    };
}

/** What the mocked providers return: the inputs, plus the outputs the program reads. */
function mockState(args: pulumi.runtime.MockResourceArgs, dryRun: boolean): Record<string, unknown> {
    const state = { ...args.inputs };
    if (args.type === "random:index/randomPassword:RandomPassword" && !dryRun) {
        state.result = `generated-secret-${args.name}`;
    }
    if (args.type === "docker-build:index:Image" && !dryRun) {
        state.ref = `${args.inputs.tags[0]}@sha256:${"ab".repeat(32)}`;
    }
    return state;
}

function recordRequests(resources: RegisteredResource[]): void {
    const monitor = pulumi.runtime.getMonitor() as any;
    const register = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req: any, callback: (err: unknown, res: any) => void) => {
        register(req, (err: unknown, res: any) => {
            if (!err) {
                resources.push({
                    type: req.getType(),
                    name: req.getName(),
                    urn: res.getUrn(),
                    parent: req.getParent(),
                    custom: req.getCustom(),
                    inputs: (pulumi.runtime as any).deserializeProperties(req.getObject()),
                    protect: req.getProtect() === true,
                    retainOnDelete: req.getRetainondelete() === true,
                    dependencies: req.getDependenciesList(),
                });
            }
            callback(err, res);
        });
    };
}

async function settle(program: Record<string, unknown>): Promise<Record<string, any>> {
    const outputs: Record<string, any> = {};
    for (const [key, value] of Object.entries(program)) {
        // The output's own promise also settles for values left unknown in preview (apply would not run).
        outputs[key] = await (pulumi.output(value as pulumi.Input<unknown>) as unknown as { promise(): Promise<unknown> }).promise();
    }
    return outputs;
}
