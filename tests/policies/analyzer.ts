/**
 * Starts the policy pack the way `pulumi preview --policy-pack policies` does (the
 * `@pulumi/pulumi/cmd/run-policy-pack` launcher, ts-node with type checking, in the pack's directory) and
 * talks to it over the analyzer gRPC protocol. Everything is resolved from the pack's directory, as the
 * CLI does: policies/node_modules when installed there, else the root's.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createRequire } from "node:module";
import * as path from "node:path";

export const POLICIES_DIR = path.join(__dirname, "..", "..", "policies");

/** The analyzer's answer for one resource or the stack. */
export interface Diagnostic {
    policyName: string;
    policyPackName: string;
    message: string;
    urn: string;
    enforcementLevel: "advisory" | "mandatory" | "disabled" | "remediate";
}

export interface AnalyzerInfo {
    name: string;
    version: string;
    policies: { name: string; enforcementLevel: string; description: string }[];
}

export interface ResourceForAnalyzer {
    type: string;
    name: string;
    urn: string;
    props: Record<string, any>;
    protect?: boolean;
}

const LEVELS = ["advisory", "mandatory", "disabled", "remediate"] as const;

export class RunningPack {
    private constructor(
        private readonly child: ChildProcess,
        private readonly client: any,
        private readonly pb: any,
        private readonly Struct: any,
        private readonly Empty: any,
    ) {}

    /** Spawns the pack and waits for the port it prints on stdout. */
    static async start(timeoutMs = 90_000): Promise<RunningPack> {
        const fromPack = createRequire(path.join(POLICIES_DIR, "index.ts"));
        const launcher = fromPack.resolve("@pulumi/pulumi/cmd/run-policy-pack");
        const fromPulumi = createRequire(fromPack.resolve("@pulumi/pulumi/package.json"));
        const grpc = fromPulumi("@grpc/grpc-js");
        const pb = fromPulumi("./proto/analyzer_pb");
        const services = fromPulumi("./proto/analyzer_grpc_pb");
        const { Struct } = fromPulumi("google-protobuf/google/protobuf/struct_pb");
        const { Empty } = fromPulumi("google-protobuf/google/protobuf/empty_pb");

        // The first argument is the engine's address, unused by a policy pack that is only analyzed.
        const child = spawn(process.execPath, [launcher, "127.0.0.1:0", "."], {
            cwd: POLICIES_DIR,
            stdio: ["ignore", "pipe", "pipe"],
        });
        let stderr = "";
        child.stderr!.on("data", (chunk) => {
            stderr += chunk;
        });
        const port = await new Promise<number>((resolve, reject) => {
            let stdout = "";
            const timer = setTimeout(() => {
                child.kill();
                reject(new Error(`the policy pack printed no port in ${timeoutMs} ms; stderr:\n${stderr}`));
            }, timeoutMs);
            child.stdout!.on("data", (chunk) => {
                stdout += chunk;
                const match = /^(\d+)\s*$/m.exec(stdout);
                if (match) {
                    clearTimeout(timer);
                    resolve(Number(match[1]));
                }
            });
            child.on("exit", (code) => {
                clearTimeout(timer);
                reject(
                    new Error(
                        `the policy pack exited with ${code} before serving; stdout:\n${stdout}\nstderr:\n${stderr}`,
                    ),
                );
            });
        });
        const client = new services.AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
        return new RunningPack(child, client, pb, Struct, Empty);
    }

    async info(): Promise<AnalyzerInfo> {
        const response: any = await this.call("getAnalyzerInfo", new this.Empty());
        return {
            name: response.getName(),
            version: response.getVersion(),
            policies: response.getPoliciesList().map((p: any) => ({
                name: p.getName(),
                enforcementLevel: LEVELS[p.getEnforcementlevel()],
                description: p.getDescription(),
            })),
        };
    }

    async analyze(resource: ResourceForAnalyzer): Promise<Diagnostic[]> {
        const request = new this.pb.AnalyzeRequest();
        request.setType(resource.type);
        request.setName(resource.name);
        request.setUrn(resource.urn);
        request.setProperties(this.Struct.fromJavaScript(resource.props));
        request.setOptions(this.options(resource));
        return this.diagnostics(await this.call("analyze", request));
    }

    async analyzeStack(resources: ResourceForAnalyzer[]): Promise<Diagnostic[]> {
        const request = new this.pb.AnalyzeStackRequest();
        request.setResourcesList(
            resources.map((resource) => {
                const r = new this.pb.AnalyzerResource();
                r.setType(resource.type);
                r.setName(resource.name);
                r.setUrn(resource.urn);
                r.setProperties(this.Struct.fromJavaScript(resource.props));
                r.setOptions(this.options(resource));
                return r;
            }),
        );
        return this.diagnostics(await this.call("analyzeStack", request));
    }

    /** Field names of AnalyzerResourceOptions: what the engine can tell a policy about options. */
    optionFields(): string[] {
        return Object.keys(new this.pb.AnalyzerResourceOptions().toObject());
    }

    stop(): void {
        this.client.close();
        this.child.kill();
    }

    private options(resource: ResourceForAnalyzer): any {
        const options = new this.pb.AnalyzerResourceOptions();
        options.setProtect(resource.protect ?? false);
        return options;
    }

    private diagnostics(response: any): Diagnostic[] {
        return response.getDiagnosticsList().map((d: any) => ({
            policyName: d.getPolicyname(),
            policyPackName: d.getPolicypackname(),
            message: d.getMessage(),
            urn: d.getUrn(),
            enforcementLevel: LEVELS[d.getEnforcementlevel()],
        }));
    }

    private call(method: string, request: unknown): Promise<unknown> {
        return new Promise((resolve, reject) => {
            this.client[method](request, (err: Error | null, response: unknown) =>
                err ? reject(err) : resolve(response),
            );
        });
    }
}
