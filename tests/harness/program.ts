/**
 * Runs the Pulumi program (index.ts) under mocks and records every resource it registers, with the
 * options mocks otherwise drop (protect, retainOnDelete, ignoreChanges, parent, explicit dependsOn). Public SDK APIs
 * only (setMocks, runInPulumiStack, registerStackTransformation), so an SDK upgrade that keeps its API
 * keeps this working.
 */
import * as pulumi from "@pulumi/pulumi";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

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
    ignoreChanges: string[];
    /** URNs of the explicit `dependsOn` (dependencies through inputs are not listed). */
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
    constructor(
        readonly cause: Error,
        readonly registered: number,
    ) {
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
    const dryRun = options.dryRun ?? false;
    // What each resource was registered with, in the order the mocked providers saw them.
    const requests: { type: string; name: string; inputs: any; custom: boolean }[] = [];
    await pulumi.runtime.setMocks(
        {
            newResource: (args) => {
                if (args.type !== pulumi.runtime.rootPulumiStackTypeName) {
                    requests.push({
                        type: args.type,
                        name: args.name,
                        inputs: args.inputs,
                        custom: args.custom ?? true,
                    });
                }
                return { id: dryRun ? undefined : `${args.name}-id`, state: mockState(args, dryRun) };
            },
            call: (args) => args.inputs,
        },
        PROJECT,
        options.stack ?? "test-cluster",
        dryRun,
    );

    const config: Record<string, string> = {};
    for (const [key, value] of Object.entries(options.config)) {
        config[`${PROJECT}:${key}`] = typeof value === "string" ? value : JSON.stringify(value);
    }
    pulumi.runtime.setAllConfig(
        config,
        (options.secretKeys ?? []).map((key) => `${PROJECT}:${key}`),
    );

    // The options mocks do not see (parent, dependsOn, retainOnDelete, protect), from a stack transformation.
    const constructed: { resource: pulumi.Resource; type: string; name: string; opts: pulumi.ResourceOptions }[] = [];
    const file = options.program ?? PROGRAM;
    delete require.cache[require.resolve(file)];
    const workingFolder = process.cwd();
    let outputs: Record<string, any>;
    let stackFolder: string | undefined;
    try {
        if (options.stackFile !== undefined) {
            stackFolder = fs.mkdtempSync(path.join(os.tmpdir(), "stack-file-"));
            const folder = stackFolder;
            fs.writeFileSync(path.join(folder, `Pulumi.${options.stack ?? "test-cluster"}.yaml`), options.stackFile);
            process.chdir(folder);
        }
        // As the Pulumi language host runs a program: inside the root stack resource.
        outputs =
            (await pulumi.runtime.runInPulumiStack(async () => {
                pulumi.runtime.registerStackTransformation((args) => {
                    constructed.push({ resource: args.resource, type: args.type, name: args.name, opts: args.opts });
                    return undefined;
                });
                return require(file);
            })) ?? {};
    } catch (err) {
        await registered(constructed.map((c) => c.resource));
        throw new ProgramError(err as Error, requests.length);
    } finally {
        process.chdir(workingFolder);
        if (stackFolder !== undefined) fs.rmSync(stackFolder, { recursive: true, force: true });
    }
    const urns = await registered(constructed.map((c) => c.resource));
    const resources = await describeResources(requests, constructed, urns);

    const byType = (type: string) => resources.filter((r) => r.type === type);
    return {
        resources,
        outputs,
        kubernetesObjects: resources.filter((r) => r.type.startsWith("kubernetes:")).map((r) => r.inputs),
        byType,
        one(type, name) {
            const found = resources.filter((r) => r.type === type && r.name === name);
            if (found.length !== 1) {
                throw new Error(
                    `expected one ${type} named ${name}, found ${found.length}: ${resources.map((r) => `${r.type}/${r.name}`).join(", ")}`,
                );
            }
            return found[0];
        },
    };
}

/** The URN of each resource once registered; waiting for them all is waiting for every registration. */
async function registered(resources: pulumi.Resource[]): Promise<Map<pulumi.Resource, string>> {
    const urns = new Map<pulumi.Resource, string>();
    await Promise.all(
        resources.map(
            (resource) =>
                new Promise<void>((resolve) => {
                    resource.urn.apply((urn) => {
                        urns.set(resource, urn);
                        resolve();
                    });
                }),
        ),
    );
    return urns;
}

async function describeResources(
    requests: { type: string; name: string; inputs: any; custom: boolean }[],
    constructed: { resource: pulumi.Resource; type: string; name: string; opts: pulumi.ResourceOptions }[],
    urns: Map<pulumi.Resource, string>,
): Promise<RegisteredResource[]> {
    const byKey = new Map(constructed.map((c) => [`${c.type} ${c.name}`, c]));
    const urnOf = (resource: pulumi.Resource | undefined) =>
        resource === undefined || resource === pulumi.runtime.getStackResource() ? "" : (urns.get(resource) ?? "");
    const dependsOn = async (opts: pulumi.ResourceOptions): Promise<pulumi.Resource[]> => {
        const list = await new Promise<unknown>((resolve) => {
            (pulumi.output(opts.dependsOn as any) as pulumi.Output<unknown>).apply((value) => resolve(value));
        });
        return (Array.isArray(list) ? list : list === undefined ? [] : [list]) as pulumi.Resource[];
    };
    const resources: RegisteredResource[] = [];
    for (const request of requests) {
        const found = byKey.get(`${request.type} ${request.name}`);
        if (!found) {
            throw new Error(`${request.type} ${request.name} was registered but never constructed`);
        }
        resources.push({
            type: request.type,
            name: request.name,
            urn: urnOf(found.resource),
            parent: urnOf(found.opts.parent),
            custom: request.custom,
            inputs: request.inputs,
            protect: found.opts.protect === true,
            retainOnDelete: found.opts.retainOnDelete === true,
            ignoreChanges: found.opts.ignoreChanges ?? [],
            dependencies: (await dependsOn(found.opts)).map((resource) => urnOf(resource)),
        });
    }
    return resources;
}

/** What the mocked providers return: the inputs, plus the outputs the program reads. */
function mockState(args: pulumi.runtime.MockResourceArgs, dryRun: boolean): Record<string, unknown> {
    const state = { ...args.inputs };
    if (args.type === "random:index/randomPassword:RandomPassword" && !dryRun) {
        state.result = `generated-secret-${args.name}`;
    }
    // The TLS provider's outputs as PEM-looking stand-ins naming their resource (the real provider makes real ones).
    const pem = (label: string) => `-----BEGIN ${label}-----\n${args.name}\n-----END ${label}-----\n`;
    if (args.type === "tls:index/privateKey:PrivateKey" && !dryRun) {
        state.privateKeyPem = pem("PRIVATE KEY");
    }
    if (args.type === "tls:index/certRequest:CertRequest" && !dryRun) {
        state.certRequestPem = pem("CERTIFICATE REQUEST");
    }
    if (
        (args.type === "tls:index/selfSignedCert:SelfSignedCert" ||
            args.type === "tls:index/locallySignedCert:LocallySignedCert") &&
        !dryRun
    ) {
        state.certPem = pem("CERTIFICATE");
    }
    if (args.type === "docker-build:index:Image" && !dryRun) {
        state.ref = `${args.inputs.tags[0]}@sha256:${"ab".repeat(32)}`;
    }
    return state;
}
