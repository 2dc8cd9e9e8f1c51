/** The resource graph the program registers, per stack config, under Pulumi mocks. */
import * as assert from "node:assert";
import { COMPUTER_CONTROL_TOOLS, MAX_TOOLS_PER_AGENT, MAX_TOOL_NAMES, SHELL_TOOLS } from "../components/contract/tools";
import { ProgramError, type ProgramRun, runProgram } from "./harness/program";
import { copy, stackConfig } from "./harness/stackFile";

const T = {
    namespace: "kubernetes:core/v1:Namespace",
    deployment: "kubernetes:apps/v1:Deployment",
    service: "kubernetes:core/v1:Service",
    claim: "kubernetes:core/v1:PersistentVolumeClaim",
    externalSecret: "kubernetes:external-secrets.io/v1:ExternalSecret",
    agent: "kubernetes:kagent.dev/v1alpha2:Agent",
    mcpServer: "kubernetes:kagent.dev/v1alpha2:RemoteMCPServer",
    modelConfig: "kubernetes:kagent.dev/v1alpha2:ModelConfig",
    vaultSecret: "vault:kv/secretV2:SecretV2",
    password: "random:index/randomPassword:RandomPassword",
    image: "docker-build:index:Image",
    component: "persistent-agents:index:PersistentAgent",
};

const testCluster = stackConfig("test-cluster");

describe("stack: the test-cluster config", () => {
    let run: ProgramRun;
    before(async () => {
        run = await runProgram({ config: testCluster });
    });

    it("creates one component per agent, every child named after its agent and parented to it", () => {
        const components = run.byType(T.component);
        assert.deepStrictEqual(components.map((c) => c.name).sort(), ["databot", "devbot"]);
        for (const component of components) {
            const children = run.resources.filter((r) => r.parent === component.urn);
            assert.ok(children.length >= 10, `${component.name} has ${children.length} children`);
            for (const child of children) {
                assert.ok(
                    child.name.startsWith(`${component.name}-`),
                    `${child.type} ${child.name} is not named ${component.name}-…`,
                );
            }
        }
    });

    it("gives the desktop agent three containers sharing the X11 socket, and the CLI agent a shell", () => {
        const devbot = run.one(T.deployment, "devbot-computer").inputs;
        const pod = devbot.spec.template.spec;
        assert.strictEqual(devbot.spec.strategy.type, "Recreate");
        assert.deepStrictEqual(
            pod.containers.map((c: any) => c.name),
            ["desktop", "computer-control", "shell"],
        );
        for (const container of pod.containers) {
            const x11 = container.volumeMounts.find((m: any) => m.name === "x11-socket");
            assert.strictEqual(x11?.mountPath, "/tmp/.X11-unix", `${container.name} shares the X11 socket`);
            assert.deepStrictEqual(
                container.env.find((e: any) => e.name === "DISPLAY"),
                { name: "DISPLAY", value: ":0" },
            );
        }
        assert.deepStrictEqual(
            pod.volumes.find((v: any) => v.name === "x11-socket"),
            { name: "x11-socket", emptyDir: {} },
        );
        assert.strictEqual(pod.volumes.find((v: any) => v.name === "dshm").emptyDir.medium, "Memory");
        assert.strictEqual(pod.securityContext.runAsUser, 1000);

        const databot = run.one(T.deployment, "databot-computer").inputs.spec.template.spec;
        assert.deepStrictEqual(
            databot.containers.map((c: any) => c.name),
            ["shell"],
        );
        assert.ok(!databot.volumes.some((v: any) => v.name === "x11-socket" || v.name === "registry-auth"));
        assert.ok(
            databot.volumes.some((v: any) => v.name === "git-credentials"),
            "git credentials stay on for databot",
        );
    });

    it("mounts the workspace and config volumes where the agent expects them", () => {
        const shell = run
            .one(T.deployment, "devbot-computer")
            .inputs.spec.template.spec.containers.find((c: any) => c.name === "shell");
        const mounts = Object.fromEntries(shell.volumeMounts.map((m: any) => [m.name, m.mountPath]));
        assert.strictEqual(mounts.workspace, "/home/agent/workspace");
        assert.strictEqual(mounts.config, "/home/agent/.config");
        const claims = run.byType(T.claim).map((c) => c.inputs);
        const workspace = claims.find((c) => c.metadata.name === "devbot-workspace");
        assert.strictEqual(workspace.spec.storageClassName, "proxmox-csi");
        assert.deepStrictEqual(workspace.spec.accessModes, ["ReadWriteOnce"]);
        assert.strictEqual(
            claims.find((c) => c.metadata.name === "databot-workspace").spec.resources.requests.storage,
            "50Gi",
        );
    });

    it("probes real health endpoints, never GET /mcp", () => {
        for (const deployment of run.byType(T.deployment)) {
            for (const container of deployment.inputs.spec.template.spec.containers) {
                for (const probe of ["startupProbe", "readinessProbe", "livenessProbe"]) {
                    const check = container[probe];
                    assert.ok(check, `${container.name} has a ${probe}`);
                    assert.notStrictEqual(check.httpGet?.path, "/mcp");
                }
                if (container.name !== "desktop") {
                    // The computer-control sidecar's liveness ignores the X server, which it reconnects to by itself.
                    const liveness = container.name === "computer-control" ? "/livez" : "/healthz";
                    assert.strictEqual(container.livenessProbe.httpGet.path, liveness);
                    assert.strictEqual(container.readinessProbe.httpGet.path, "/healthz");
                }
                assert.ok(
                    container.resources.requests.cpu && container.resources.limits.memory,
                    `${container.name} has resources`,
                );
            }
        }
    });

    it("keeps workspaces and their namespaces when an agent is removed", () => {
        for (const resource of [...run.byType(T.claim), ...run.byType(T.namespace)]) {
            assert.strictEqual(resource.retainOnDelete, true, `${resource.type} ${resource.name} is retained`);
        }
    });

    it("points each RemoteMCPServer at the computer's Service on /mcp with the bearer header from the Secret", () => {
        const servers = Object.fromEntries(run.byType(T.mcpServer).map((s) => [s.inputs.metadata.name, s.inputs]));
        assert.deepStrictEqual(Object.keys(servers).sort(), [
            "databot-shell",
            "devbot-computer-control",
            "devbot-shell",
        ]);
        assert.strictEqual(
            servers["devbot-computer-control"].spec.url,
            "http://devbot-computer.agent-devbot.svc.cluster.local:8080/mcp",
        );
        assert.strictEqual(
            servers["databot-shell"].spec.url,
            "http://databot-computer.agent-databot.svc.cluster.local:8081/mcp",
        );
        for (const server of Object.values(servers) as any[]) {
            assert.strictEqual(server.spec.protocol, "STREAMABLE_HTTP");
            assert.deepStrictEqual(server.spec.headersFrom, [
                {
                    name: "Authorization",
                    valueFrom: {
                        type: "Secret",
                        name: `${server.metadata.name.split("-")[0]}-credentials`,
                        key: "authorization",
                    },
                },
            ]);
        }
        assert.strictEqual(servers["devbot-shell"].spec.timeout, "11m", "long shell commands fit in kagent's timeout");
        const shell = run
            .one(T.deployment, "devbot-computer")
            .inputs.spec.template.spec.containers.find((c: any) => c.name === "shell");
        assert.deepStrictEqual(
            shell.env.find((e: any) => e.name === "MAX_COMMAND_TIMEOUT_SECONDS"),
            { name: "MAX_COMMAND_TIMEOUT_SECONDS", value: "600" },
        );
        const service = run.one(T.service, "devbot-computer").inputs;
        assert.deepStrictEqual(
            service.spec.ports.map((p: any) => p.port),
            [5900, 8080, 8081],
        );
        assert.deepStrictEqual(
            run.one(T.service, "databot-computer").inputs.spec.ports.map((p: any) => p.port),
            [8081],
        );
    });

    it("names the kagent Agent exactly like the agent and lists the servers' exact tool names", () => {
        const devbot = run.one(T.agent, "devbot-agent").inputs;
        assert.strictEqual(devbot.metadata.name, "devbot");
        assert.strictEqual(devbot.metadata.namespace, "agent-devbot");
        assert.strictEqual(devbot.spec.type, "Declarative");
        assert.strictEqual(devbot.spec.declarative.modelConfig, "devbot-model");
        assert.deepStrictEqual(devbot.spec.declarative.tools, [
            {
                type: "McpServer",
                mcpServer: {
                    apiGroup: "kagent.dev",
                    kind: "RemoteMCPServer",
                    name: "devbot-shell",
                    toolNames: [...SHELL_TOOLS],
                },
            },
            {
                type: "McpServer",
                mcpServer: {
                    apiGroup: "kagent.dev",
                    kind: "RemoteMCPServer",
                    name: "devbot-computer-control",
                    toolNames: [...COMPUTER_CONTROL_TOOLS],
                },
            },
        ]);
        assert.ok(COMPUTER_CONTROL_TOOLS.includes("press_keys") && !COMPUTER_CONTROL_TOOLS.includes("press_key"));
        assert.ok(devbot.spec.declarative.tools.length <= MAX_TOOLS_PER_AGENT);
        for (const tool of devbot.spec.declarative.tools) {
            assert.ok(
                tool.mcpServer.toolNames.length <= MAX_TOOL_NAMES,
                `${tool.mcpServer.name} lists more tools than kagent accepts`,
            );
        }
        const databot = run.one(T.agent, "databot-agent").inputs;
        assert.deepStrictEqual(
            databot.spec.declarative.tools.map((t: any) => t.mcpServer.name),
            ["databot-shell"],
        );
        const model = run.one(T.modelConfig, "devbot-model").inputs.spec;
        assert.deepStrictEqual(model, {
            provider: "Anthropic",
            model: "claude-sonnet-4-5",
            apiKeySecret: "devbot-credentials",
            apiKeySecretKey: "model-api-key",
            anthropic: {},
        });
    });

    it("never lets our objects take a name kagent creates for the Agent", () => {
        const kagentOwned = new Set(["Deployment", "Service", "Secret", "ServiceAccount", "ConfigMap"]);
        const agentNames = new Set(
            run.byType(T.agent).map((a) => `${a.inputs.metadata.namespace}/${a.inputs.metadata.name}`),
        );
        for (const object of run.kubernetesObjects) {
            if (kagentOwned.has(object.kind)) {
                const key = `${object.metadata.namespace}/${object.metadata.name}`;
                assert.ok(
                    !agentNames.has(key),
                    `${object.kind} ${key} collides with what kagent creates for the Agent`,
                );
            }
        }
        // The Secret the ExternalSecret writes is one of ours too.
        for (const es of run.byType(T.externalSecret)) {
            assert.ok(!agentNames.has(`${es.inputs.metadata.namespace}/${es.inputs.spec.target.name}`));
        }
    });

    it("registers every resource under a unique URN and every object under a unique name", () => {
        const urns = run.resources.map((r) => r.urn);
        assert.strictEqual(new Set(urns).size, urns.length);
        const objects = run.kubernetesObjects.map(
            (o) => `${o.apiVersion}/${o.kind}/${o.metadata.namespace ?? ""}/${o.metadata.name}`,
        );
        assert.strictEqual(new Set(objects).size, objects.length, "two objects share a name");
        for (const object of run.kubernetesObjects) {
            assert.ok(object.metadata.name, `${object.kind} has an explicit name (kagent and the pod refer to it)`);
            if (object.kind !== "Namespace") {
                assert.ok(
                    object.metadata.namespace?.startsWith("agent-"),
                    `${object.kind} ${object.metadata.name} is in an agent namespace`,
                );
            }
        }
    });

    it("builds each distinct image once, pushed to the registry without building on preview", () => {
        const images = run.byType(T.image);
        assert.deepStrictEqual(images.map((i) => i.name).sort(), [
            "images-computer-control-mcp",
            "images-desktop",
            "images-shell",
        ]);
        for (const image of images) {
            assert.strictEqual(image.inputs.push, true);
            assert.strictEqual(image.inputs.buildOnPreview, false);
            if (image.name !== "images-computer-control-mcp") {
                assert.deepStrictEqual(
                    image.inputs.buildArgs,
                    { AGENT_PASSWORDLESS_SUDO: "false" },
                    "no sudo unless an agent asks",
                );
            }
            assert.match(
                image.inputs.tags[0],
                /^registry\.test-cluster\.agentydragon\.com\/agents\/[a-z-]+:test-cluster$/,
            );
            assert.match(image.inputs.context.location, /images\/(desktop|shell|computer-control-mcp)$/);
            assert.match(image.inputs.context.named["git-credentials"].location, /images\/git-credentials$/);
        }
        // Pods run the build's ref (tag@digest).
        const containers = [...run.byType(T.deployment)].flatMap((d) => d.inputs.spec.template.spec.containers);
        for (const container of containers) {
            assert.match(container.image, /@sha256:[0-9a-f]{64}$/, `${container.name} runs a digest`);
        }
    });

    it("outputs each agent's namespace, endpoints and Vault paths", () => {
        assert.deepStrictEqual(run.outputs.agentEndpoints.devbot, {
            namespace: "agent-devbot",
            serviceHost: "devbot-computer.agent-devbot.svc.cluster.local",
            vncEndpoint: "devbot-computer.agent-devbot.svc.cluster.local:5900",
            mcpUrls: {
                "devbot-shell": "http://devbot-computer.agent-devbot.svc.cluster.local:8081/mcp",
                "devbot-computer-control": "http://devbot-computer.agent-devbot.svc.cluster.local:8080/mcp",
            },
            vaultPaths: { provided: "secret/agents/devbot/provided", generated: "secret/agents/devbot/generated" },
        });
        assert.strictEqual(run.outputs.agentEndpoints.databot.vncEndpoint, undefined);
    });
});

describe("stack: images given as prebuilt digests", () => {
    it("builds nothing and deploys the given references", async () => {
        const config = copy(testCluster);
        const ref = (image: string) =>
            `registry.test-cluster.agentydragon.com/agents/${image}@sha256:${"c".repeat(64)}`;
        config.platform.images = {
            desktop: ref("desktop"),
            computerControlMcp: ref("computer-control-mcp"),
            shell: ref("shell"),
        };
        const run = await runProgram({ config });
        assert.deepStrictEqual(run.byType(T.image), []);
        const images = run
            .one(T.deployment, "devbot-computer")
            .inputs.spec.template.spec.containers.map((c: any) => c.image);
        assert.deepStrictEqual(images, [ref("desktop"), ref("computer-control-mcp"), ref("shell")]);
    });

    it("builds only the shell image when no agent has a desktop", async () => {
        const config = copy(testCluster);
        config.agents = config.agents.filter((a: any) => a.name === "databot");
        const run = await runProgram({ config });
        assert.deepStrictEqual(
            run.byType(T.image).map((i) => i.name),
            ["images-shell"],
        );
    });
});

describe("stack: preview", () => {
    it("completes with image digests still unknown", async () => {
        const run = await runProgram({ config: testCluster, dryRun: true });
        assert.strictEqual(run.byType(T.component).length, 2);
        assert.strictEqual(run.byType(T.deployment).length, 2);
        assert.strictEqual(run.outputs.agentEndpoints.devbot.namespace, "agent-devbot");
    });

    it("fails on a config problem before registering any resource", async () => {
        const config = copy(testCluster);
        config.agents[1].storage.workspace = "20GB";
        config.agents[0].desktop.resolution = "1280x80";
        await assert.rejects(runProgram({ config, dryRun: true }), (err: ProgramError) => {
            assert.ok(err instanceof ProgramError, String(err));
            assert.match(
                err.message,
                /agents\[1\]\.storage\.workspace: "20GB" is not a Kubernetes quantity, e\.g\. 20Gi/,
            );
            assert.match(err.message, /agents\[0\]\.desktop\.resolution: "1280x80" is not WIDTHxHEIGHT/);
            assert.strictEqual(err.registered, 0, "resources were registered before the config was rejected");
            return true;
        });
    });
});

describe("stack: adding an agent", () => {
    it("leaves every resource of the other agents unchanged", async () => {
        const before = await runProgram({ config: testCluster });
        const config = copy(testCluster);
        config.agents.push({ name: "webbot", desktop: { enabled: true } });
        const after = await runProgram({ config });

        const snapshot = (run: ProgramRun) =>
            new Map(
                run.resources.map((r) => [
                    r.urn,
                    JSON.stringify({ inputs: r.inputs, retain: r.retainOnDelete, deps: [...r.dependencies].sort() }),
                ]),
            );
        const old = snapshot(before);
        const updated = snapshot(after);
        for (const [urn, state] of old) {
            assert.strictEqual(updated.get(urn), state, `${urn} changed when webbot was added`);
        }
        const added = [...updated.keys()].filter((urn) => !old.has(urn));
        assert.ok(added.length > 10);
        for (const urn of added) {
            assert.match(urn, /webbot/, `${urn} is new but not webbot's`);
        }
    });
});

describe("stack: suspending an agent", () => {
    it("scales its computer and kagent pod to zero and keeps every object", async () => {
        const running = await runProgram({ config: testCluster });
        const config = copy(testCluster);
        config.agents[0].suspended = true;
        const suspended = await runProgram({ config });
        assert.deepStrictEqual(
            suspended.resources.map((r) => r.urn),
            running.resources.map((r) => r.urn),
        );
        assert.strictEqual(suspended.one(T.deployment, "devbot-computer").inputs.spec.replicas, 0);
        assert.strictEqual(suspended.one(T.agent, "devbot-agent").inputs.spec.declarative.deployment.replicas, 0);
        assert.strictEqual(suspended.one(T.deployment, "databot-computer").inputs.spec.replicas, 1);
        assert.strictEqual(running.one(T.agent, "devbot-agent").inputs.spec.declarative.deployment.replicas, 1);
    });
});

describe("stack: a CLI-only agent with removable storage", () => {
    it("has no desktop parts, and lets the operator ask for its workspace to go with it", async () => {
        const config = copy(testCluster);
        config.agents = [
            {
                name: "clibot",
                desktop: { enabled: false },
                credentials: { gitea: false, harbor: false },
                storage: { retainOnDelete: false },
            },
        ];
        const run = await runProgram({ config });
        assert.deepStrictEqual(
            run.byType(T.mcpServer).map((s) => s.inputs.metadata.name),
            ["clibot-shell"],
        );
        assert.deepStrictEqual(
            run.byType(T.password).map((p) => p.name),
            ["clibot-mcp-token"],
        );
        const pod = run.one(T.deployment, "clibot-computer").inputs.spec.template.spec;
        assert.deepStrictEqual(
            pod.volumes.map((v: any) => v.name),
            ["workspace", "config", "mcp-token"],
        );
        const template = run.one(T.externalSecret, "clibot-credentials").inputs.spec.target.template.data;
        assert.deepStrictEqual(Object.keys(template).sort(), ["authorization", "mcp-token", "model-api-key"]);
        for (const resource of [...run.byType(T.claim), ...run.byType(T.namespace)]) {
            assert.strictEqual(resource.retainOnDelete, false);
        }
    });
});
