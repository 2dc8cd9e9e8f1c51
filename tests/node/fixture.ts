/**
 * The local node as a test fixture, for the node tier and for other tiers that run pods (a tier starts
 * the cluster itself: `LOCAL_CLUSTER_DIR=<tmp> LOCAL_CLUSTER_NODE=1 scripts/local-cluster.sh up`, then
 * `down`, then scripts/node/leftovers.sh; tests/node/run.sh shows how, and docs/local-stack.md, "The node
 * as a fixture", lists the whole interface). With KUBECONFIG and LOCAL_CLUSTER_DIR exported:
 *   kubectl(args) / kubectlOk(args)        kubectl against the cluster (tests/real/kube.ts)
 *   pushImage(local image, repository)     an image of buildah's storage onto the node: its reference by digest
 *   toolsImage()                           Debian's static busybox (sh, nc, nslookup, httpd), pushed once
 *   runPod(spec)                           a pod, waited for until Ready; its IP
 *   computerPods(namespace, agent)         the pods of an agent's computer (kubectl's JSON items)
 *   exec(namespace, pod, command)          kubectl exec
 *   tcpOpen(namespace, pod, ip, port)      whether a TCP connection from that pod (busybox nc) succeeds
 *   portForward(namespace, target, port)   kubectl port-forward on a free local port; close() ends it
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import { createRequire } from "node:module";
import * as path from "node:path";
import { computerSelector } from "../../components/contract/labels";
import { type CommandResult, kubectl } from "../real/kube";

export { kubectl } from "../real/kube";
export const REPO = path.join(__dirname, "..", "..");

export function clusterDir(): string {
    const dir = process.env.LOCAL_CLUSTER_DIR;
    if (!dir || !fs.existsSync(path.join(dir, "node"))) {
        throw new Error("LOCAL_CLUSTER_DIR names no cluster with a node: run through tests/node/run.sh");
    }
    return dir;
}

export function kubectlOk(args: string[], input?: string): string {
    const result = kubectl(args, input);
    if (result.status !== 0) {
        throw new Error(`kubectl ${args.join(" ")}: ${result.stderr.trim()}`);
    }
    return result.stdout;
}

export function apply(objects: object[]): void {
    kubectlOk(
        ["apply", "--server-side", "--force-conflicts", "-f", "-"],
        objects.map((o) => JSON.stringify(o)).join("\n---\n"),
    );
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` until it returns a value other than undefined/false, or fails naming `what`. */
export async function waitFor<T>(
    what: string,
    check: () => T | undefined | false | Promise<T | undefined | false>,
    timeoutMs = 120_000,
): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    let last: unknown;
    for (;;) {
        try {
            const value = await check();
            if (value !== undefined && value !== false) {
                return value as T;
            }
        } catch (err) {
            last = err;
        }
        if (Date.now() > deadline) {
            throw new Error(`${what}: not after ${timeoutMs / 1000} s${last ? ` (${(last as Error).message})` : ""}`);
        }
        await sleep(500);
    }
}

function run(command: string, args: string[]): string {
    const result = spawnSync(command, args, { encoding: "utf8", maxBuffer: 16 * 1024 * 1024 });
    if (result.status !== 0) {
        throw new Error(`${command} ${args.join(" ")}: ${result.stderr}`);
    }
    return result.stdout.trim();
}

export function pushImage(localImage: string, repository: string): string {
    return run("bash", [path.join(REPO, "scripts", "node", "images.sh"), "push", clusterDir(), localImage, repository]);
}

export function nodeImages(): Record<string, string> {
    const file = path.join(clusterDir(), "node", "images.env");
    return Object.fromEntries(
        fs
            .readFileSync(file, "utf8")
            .trim()
            .split("\n")
            .map((line) => line.split("=", 2) as [string, string]),
    );
}

export function toolsImage(): string {
    if (!nodeImages().BUSYBOX_IMAGE) {
        run("bash", [path.join(REPO, "scripts", "node", "images.sh"), "tools", clusterDir()]);
    }
    return nodeImages().BUSYBOX_IMAGE;
}

export interface PodSpec {
    namespace: string;
    name: string;
    labels?: Record<string, string>;
    /** Default: the tools image, sleeping. */
    image?: string;
    args?: string[];
}

/** A pod that passes the restricted Pod Security level (agent namespaces enforce it). */
export function podObject(spec: PodSpec): object {
    return {
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name: spec.name, namespace: spec.namespace, labels: spec.labels ?? {} },
        spec: {
            terminationGracePeriodSeconds: 1,
            automountServiceAccountToken: false,
            securityContext: { runAsNonRoot: true, runAsUser: 65534, seccompProfile: { type: "RuntimeDefault" } },
            containers: [
                {
                    name: "main",
                    image: spec.image ?? toolsImage(),
                    args: spec.args ?? ["sleep", "86400"],
                    securityContext: {
                        allowPrivilegeEscalation: false,
                        capabilities: { drop: ["ALL"] },
                        readOnlyRootFilesystem: true,
                    },
                    volumeMounts: [{ name: "tmp", mountPath: "/tmp" }],
                },
            ],
            volumes: [{ name: "tmp", emptyDir: {} }],
        },
    };
}

export async function runPod(spec: PodSpec): Promise<string> {
    apply([podObject(spec)]);
    await waitFor(
        `pod ${spec.namespace}/${spec.name} Ready`,
        () =>
            kubectl([
                "-n",
                spec.namespace,
                "get",
                "pod",
                spec.name,
                "-o",
                'jsonpath={.status.conditions[?(@.type=="Ready")].status}',
            ]).stdout === "True",
    );
    return podIp(spec.namespace, spec.name);
}

/** The pods of an agent's computer (its Deployment's selector), as kubectl's JSON items. */
export function computerPods(namespace: string, agent: string): any[] {
    const selector = Object.entries(computerSelector(agent))
        .map(([key, value]) => `${key}=${value}`)
        .join(",");
    return JSON.parse(kubectlOk(["-n", namespace, "get", "pods", "-l", selector, "-o", "json"])).items;
}

export function podIp(namespace: string, name: string): string {
    return kubectlOk(["-n", namespace, "get", "pod", name, "-o", "jsonpath={.status.podIP}"]).trim();
}

export function ensureNamespace(name: string, labels: Record<string, string> = {}): void {
    apply([{ apiVersion: "v1", kind: "Namespace", metadata: { name, labels } }]);
}

export function exec(namespace: string, pod: string, command: string[], container?: string): CommandResult {
    return kubectl(["-n", namespace, "exec", pod, ...(container ? ["-c", container] : []), "--", ...command]);
}

/** A TCP connection from the pod (its tools container runs busybox) to ip:port, within 3 seconds. */
export function tcpOpen(namespace: string, pod: string, ip: string, port: number): boolean {
    const result = exec(namespace, pod, ["/bin/busybox", "sh", "-c", `/bin/busybox nc -w 3 ${ip} ${port} </dev/null`]);
    return result.status === 0;
}

export interface Forward {
    port: number;
    close(): void;
}

/** `kubectl port-forward <target> :<port>` (a free local port), once it listens. */
export async function portForward(namespace: string, target: string, port: number): Promise<Forward> {
    const child: ChildProcess = spawn(
        "kubectl",
        ["--kubeconfig", process.env.KUBECONFIG!, "-n", namespace, "port-forward", target, `:${port}`],
        {
            stdio: ["ignore", "pipe", "pipe"],
        },
    );
    let output = "";
    const local = await new Promise<number>((resolve, reject) => {
        const timer = setTimeout(
            () => reject(new Error(`port-forward ${target} ${port}: no port after 30 s: ${output}`)),
            30_000,
        );
        const read = (chunk: Buffer) => {
            output += chunk.toString();
            const match = /Forwarding from 127\.0\.0\.1:(\d+)/.exec(output);
            if (match) {
                clearTimeout(timer);
                resolve(Number(match[1]));
            }
        };
        child.stdout!.on("data", read);
        child.stderr!.on("data", read);
        child.on("exit", (code) => reject(new Error(`port-forward ${target} ${port} exited (${code}): ${output}`)));
    });
    return { port: local, close: () => child.kill() };
}

/** The official MCP client (the shell server's own SDK) with a bearer token. */
export async function mcpClient(url: string, token: string): Promise<any> {
    // The shell server's own SDK, as it resolves it (an npm workspace: hoisted into the root node_modules).
    const fromShell = createRequire(path.join(REPO, "images", "shell", "package.json"));
    const sdk = path.dirname(fromShell.resolve("@modelcontextprotocol/sdk/client/index.js"));
    const { Client } = require(path.join(sdk, "index.js"));
    const { StreamableHTTPClientTransport } = require(path.join(sdk, "streamableHttp.js"));
    const client = new Client({ name: "node-tier", version: "0.0.0" });
    await client.connect(
        new StreamableHTTPClientTransport(new URL(url), {
            requestInit: { headers: { Authorization: `Bearer ${token}` } },
        }),
    );
    return client;
}

/** A value of an agent's Secret (synced by ESO from Vault). */
export function secretValue(namespace: string, secret: string, key: string): string {
    const data = kubectlOk([
        "-n",
        namespace,
        "get",
        "secret",
        secret,
        "-o",
        `jsonpath={.data.${key.replace(/\./g, "\\.")}}`,
    ]);
    return Buffer.from(data, "base64").toString();
}

/** run_command in an agent's shell, over MCP through a port-forward to its Service: its structured result. */
export async function runCommandResult(
    namespace: string,
    service: string,
    port: number,
    token: string,
    command: string,
): Promise<{ exit_code: number; stdout: string; stderr: string }> {
    const forward = await portForward(namespace, `svc/${service}`, port);
    try {
        const client = await mcpClient(`http://127.0.0.1:${forward.port}/mcp`, token);
        try {
            const result = await client.callTool({ name: "run_command", arguments: { command } });
            if (result.isError) {
                throw new Error(`run_command ${command}: ${JSON.stringify(result.content)}`);
            }
            return result.structuredContent;
        } finally {
            await client.close();
        }
    } finally {
        forward.close();
    }
}

/** run_command in an agent's shell, over MCP through a port-forward to its Service; the command's stdout. */
export async function runCommand(
    namespace: string,
    service: string,
    port: number,
    token: string,
    command: string,
): Promise<string> {
    return (await runCommandResult(namespace, service, port, token, command)).stdout;
}
