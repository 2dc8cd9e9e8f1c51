/**
 * The build service's fallback on a real kubelet (issue 21): `platform.buildService.processSandbox: false`,
 * for nodes without pod user namespaces. The daemon's objects are rendered by the program from the local
 * stack's config (namespace and default-deny, the agent's Deployment, Service and NetworkPolicy, exactly as
 * `pulumi up` would create them), its image is images/buildkitd built from this tree and pushed to the node,
 * and its certificates are issued as the stack's specs say (ESO's Secret stood in by the same Secret made
 * directly: no Vault round-trip here). Then the agent's shell container as rendered (images/shell, its
 * BUILDKIT_HOST and BUILDKIT_TLS_DIR, the client certificate mounted there), in a pod with the computer's labels
 * in the agent's namespace, runs `buildctl build` (the image's wrapper) through the daemon's Service.
 * NODE_TIER_BUILDKITD_IMAGE / NODE_TIER_SHELL_IMAGE name already built local images instead of building them
 * (scripts/images/build.sh, cached layers).
 */
import * as assert from "node:assert";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { ROOTLESS_CAPABILITIES, TLS_FILES } from "../../components/contract/buildService";
import { computerSelector } from "../../components/contract/labels";
import { parseStackConfig } from "../../components/config";
import { planStack } from "../../components/plan/stack";
import type { AgentPlan, BuildDaemonPlan } from "../../components/plan/types";
import { renderAgent } from "../../components/render/agent";
import { buildDaemonObjects, buildServiceObjects } from "../../components/render/buildService";
import { copy, stackConfig } from "../harness/stackFile";
import { REPO, apply, ensureNamespace, exec, kubectl, kubectlOk, pushImage, waitFor } from "./fixture";

const AGENT = "buildbot";

/**
 * The certificates as tests/build-isolation issues them from the stack's specs (openssl). That module is ESM
 * (.mts, outside the type-checked project): required by path, which tsx's CommonJS loader serves.
 */
const { issueAgentTls } = require(path.join(__dirname, "..", "build-isolation", "daemons.mts")) as {
    issueAgentTls(
        dir: string,
        agent: string,
    ): Promise<{ caCert: string; serverCert: string; serverKey: string; clientCert: string; clientKey: string }>;
};
const CLIENT = "client";

/** images/<key> built from the tree (cached layers), or the local image NODE_TIER_<KEY>_IMAGE names. */
function localImage(key: "buildkitd" | "shell"): string {
    const given = process.env[`NODE_TIER_${key.toUpperCase()}_IMAGE`];
    if (given) {
        return given;
    }
    const build = spawnSync(
        "nice",
        ["-n", "10", "bash", path.join(REPO, "scripts", "images", "build.sh"), "--tag", "node-tier", key],
        { stdio: ["ignore", "inherit", "inherit"], timeout: 30 * 60_000 },
    );
    assert.strictEqual(build.status, 0, `scripts/images/build.sh ${key} failed (its output is above)`);
    return `localhost/persistent-agents/${key}:node-tier`;
}

/** The agent's shell container as the program renders it in the computer pod. */
function renderedShell(agent: AgentPlan): any {
    const images = new Proxy({}, { get: (_target, name) => `unused/${String(name)}` });
    const found: any[] = [];
    const walk = (value: any): void => {
        if (Array.isArray(value)) {
            value.forEach(walk);
        } else if (value && typeof value === "object") {
            if (value.name === "shell" && Array.isArray(value.env)) {
                found.push(value);
            }
            Object.values(value).forEach(walk);
        }
    };
    walk(renderAgent(agent, images).computer);
    assert.strictEqual(found.length, 1, "one shell container in the computer pod");
    return found[0];
}

/** The local stack with the build service on, in its fallback, and one agent of its own. */
function fallbackPlan() {
    const values = copy(stackConfig("local"));
    values.platform.buildService = { enabled: true, processSandbox: false };
    values.agents = [{ ...values.agents[0], name: AGENT, description: "the build fallback's node test" }];
    const plan = planStack(
        parseStackConfig({
            values,
            isSecret: () => false,
            stackName: "local",
            stackFile: { fileName: "Pulumi.local.yaml", values },
        }),
    );
    return { service: plan.buildService!, agent: plan.agents[0] };
}

describe("the build service's fallback (no pod user namespace) on the node", () => {
    let daemon: BuildDaemonPlan;
    let agentNamespace: string;
    let work: string;
    let image: string;
    let shellImage: string;

    before(async () => {
        const { service, agent } = fallbackPlan();
        daemon = agent.buildDaemon!;
        agentNamespace = agent.namespace.name;
        assert.strictEqual(daemon.processSandbox, false);
        image = pushImage(localImage("buildkitd"), "agents/buildkitd");
        shellImage = pushImage(localImage("shell"), "agents/shell");

        work = fs.mkdtempSync(path.join(process.env.TMPDIR ?? os.tmpdir(), "build-fallback-"));
        const tls = await issueAgentTls(path.join(work, "tls"), AGENT);
        const read = (file: string) => fs.readFileSync(file).toString("base64");

        const stack = buildServiceObjects(service);
        apply([stack.namespace.object, ...stack.inNamespace.map((r) => r.object)]);
        const rendered = buildDaemonObjects(daemon, { buildkitd: image });
        // ESO makes this Secret from Vault in the stack; its name and file names are the ExternalSecret's.
        apply([
            {
                apiVersion: "v1",
                kind: "Secret",
                metadata: { name: daemon.tls.secretName, namespace: daemon.namespace },
                data: {
                    [TLS_FILES.ca]: read(tls.caCert),
                    [TLS_FILES.cert]: read(tls.serverCert),
                    [TLS_FILES.key]: read(tls.serverKey),
                },
            },
            ...rendered.filter((r) => r.key !== "buildkitd-tls").map((r) => r.object),
        ]);

        // The agent's side: a pod with its computer's labels (the daemon's policy admits only those), and its
        // shell container as rendered (image, environment, security, the client certificate's mount) but
        // sleeping instead of serving MCP: buildctl there is images/shell's wrapper (buildctl-agent).
        ensureNamespace(agentNamespace);
        const clientLabels = computerSelector(AGENT);
        const shell = renderedShell(agent);
        const tlsMount = shell.volumeMounts.find((mount: any) => mount.name === "buildkit-tls");
        apply([
            {
                apiVersion: "v1",
                kind: "Secret",
                metadata: { name: "build-client", namespace: agentNamespace },
                data: {
                    [TLS_FILES.ca]: read(tls.caCert),
                    [TLS_FILES.cert]: read(tls.clientCert),
                    [TLS_FILES.key]: read(tls.clientKey),
                },
            },
            {
                apiVersion: "v1",
                kind: "Pod",
                metadata: { name: CLIENT, namespace: agentNamespace, labels: clientLabels },
                spec: {
                    terminationGracePeriodSeconds: 1,
                    automountServiceAccountToken: false,
                    containers: [
                        {
                            name: "main",
                            image: shellImage,
                            command: ["sleep", "86400"],
                            env: shell.env.filter((env: any) => env.name.startsWith("BUILDKIT_")),
                            securityContext: shell.securityContext,
                            volumeMounts: [
                                { name: "tls", mountPath: tlsMount.mountPath, readOnly: true },
                                { name: "tmp", mountPath: "/tmp" },
                            ],
                        },
                    ],
                    volumes: [
                        { name: "tls", secret: { secretName: "build-client" } },
                        { name: "tmp", emptyDir: {} },
                    ],
                },
            },
        ]);
        await waitFor(
            `pod ${agentNamespace}/${CLIENT} Ready`,
            () =>
                kubectl([
                    "-n",
                    agentNamespace,
                    "get",
                    "pod",
                    CLIENT,
                    "-o",
                    'jsonpath={.status.conditions[?(@.type=="Ready")].status}',
                ]).stdout === "True",
        );
    });

    after(() => {
        for (const namespace of [daemon?.namespace, agentNamespace]) {
            if (namespace) {
                kubectl(["delete", "namespace", namespace, "--wait=false", "--ignore-not-found"]);
            }
        }
        if (work) {
            fs.rmSync(work, { recursive: true, force: true });
        }
    });

    it("starts the rendered daemon: UID 1000 under rootlesskit, only SETGID/SETUID in its bounding set", async () => {
        const selector = Object.entries(daemon.labels)
            .map(([key, value]) => `${key}=${value}`)
            .join(",");
        const pod = await waitFor(
            `the daemon of ${AGENT} Ready`,
            () => {
                const pods = JSON.parse(
                    kubectlOk(["-n", daemon.namespace, "get", "pods", "-l", selector, "-o", "json"]),
                );
                const ready = pods.items.find((p: any) =>
                    p.status.conditions?.some((c: any) => c.type === "Ready" && c.status === "True"),
                );
                return ready?.metadata.name as string | undefined;
            },
            180_000,
        ).catch((err: Error) => {
            // What rootlesskit said (its uid_map errors) belongs in the failure.
            const logs = kubectl(["-n", daemon.namespace, "logs", `deploy/${daemon.name}`, "--tail", "5"]);
            throw new Error(`${err.message}; its last log lines:\n${logs.stdout}${logs.stderr}`);
        });
        const spec = JSON.parse(kubectlOk(["-n", daemon.namespace, "get", "pod", pod, "-o", "json"])).spec;
        assert.strictEqual(spec.hostUsers, undefined, "the fallback runs without a pod user namespace");
        assert.deepStrictEqual(spec.containers[0].securityContext.capabilities, {
            drop: ["ALL"],
            add: ROOTLESS_CAPABILITIES,
        });
        const status = exec(daemon.namespace, pod, ["cat", "/proc/1/status"]).stdout;
        const field = (name: string) => new RegExp(`^${name}:\\s*(.*)$`, "m").exec(status)![1].trim();
        assert.match(field("Uid"), /^1000\s/, "the daemon's container runs as UID 1000 of the node");
        assert.strictEqual(field("CapEff"), "0000000000000000", "no effective capability");
        assert.strictEqual(BigInt(`0x${field("CapBnd")}`), (1n << 6n) | (1n << 7n), "bounding set: SETGID, SETUID");
        const logs = kubectlOk(["-n", daemon.namespace, "logs", pod]);
        assert.match(logs, /oci\.process-mode:no-sandbox/, "the OCI worker without the process sandbox");
    });

    it("runs a build with RUN steps for the agent's client certificate, in the daemon's user namespace", () => {
        const context = path.join(work, "context");
        fs.mkdirSync(context);
        fs.copyFileSync("/bin/busybox", path.join(context, "busybox"));
        fs.writeFileSync(
            path.join(context, "Dockerfile"),
            [
                "FROM scratch",
                "COPY busybox /bin/busybox",
                'RUN ["/bin/busybox", "--install", "-s", "/bin"]',
                "RUN mkdir /out && id -u > /out/uid && cat /proc/self/uid_map > /out/uid_map",
                "FROM scratch",
                "COPY --from=0 /out /",
                "",
            ].join("\n"),
        );
        kubectlOk(["-n", agentNamespace, "cp", context, `${CLIENT}:/tmp/context`, "-c", "main"]);
        // As the agent types it: BUILDKIT_HOST names the daemon, the wrapper adds --tlsdir $BUILDKIT_TLS_DIR.
        const build = exec(agentNamespace, CLIENT, [
            "buildctl",
            "build",
            "--progress",
            "plain",
            "--frontend",
            "dockerfile.v0",
            "--local",
            "context=/tmp/context",
            "--local",
            "dockerfile=/tmp/context",
            "--output",
            "type=local,dest=/tmp/out",
        ]);
        assert.strictEqual(build.status, 0, `buildctl build: ${build.stderr.slice(-2000)}`);
        const uid = exec(agentNamespace, CLIENT, ["cat", "/tmp/out/uid"]).stdout.trim();
        const uidMap = exec(agentNamespace, CLIENT, ["cat", "/tmp/out/uid_map"]).stdout.trim().split(/\s+/);
        assert.strictEqual(uid, "0", "the step runs as root of the daemon's user namespace");
        // rootlesskit's map: 0 inside = UID 1000 of the node, 1-65536 = the image's /etc/subuid range.
        assert.deepStrictEqual(uidMap, ["0", "1000", "1", "1", "100000", "65536"]);

        const refused = exec(agentNamespace, CLIENT, ["/usr/local/libexec/buildctl", "debug", "workers"]);
        assert.notStrictEqual(refused.status, 0, "a client without the agent's certificate is refused");
    });
});
