/**
 * The runtime config (components/render/kagentRuntime.ts): the translation kagent's 0.10 controller does, on the
 * stack's own kagent objects. tests/agent-loop validates the same output with kagent-adk's types and runs
 * the runtime on it; these check the mapping's rules one by one.
 */
import * as assert from "node:assert";
import { ConfigError, parseStackConfig } from "../components/config";
import { kagentSpecs } from "../components/render/kagent";
import { durationSeconds, kagentRuntimeEnv, kagentRuntimeFiles } from "../components/render/kagentRuntime";
import { kagentAgentWorkload } from "../components/render/kagentWorkload";
import { planAgent } from "../components/plan";
import { copy, stackConfig } from "./harness/stackFile";

const testCluster = stackConfig("test-cluster");

function specsOf(config: Record<string, any>, agent = "devbot") {
    const { platform, agents } = parseStackConfig({ values: config, isSecret: () => true, stackName: "test-cluster" });
    return kagentSpecs(planAgent(agents.find((a) => a.name === agent)!, platform));
}

const secrets = (values: Record<string, string>) => (secret: string, key: string) => values[`${secret}/${key}`];
const devbotSecrets = secrets({ "devbot-credentials/authorization": "Bearer t0ken" });

describe("kagent runtime config", () => {
    it("gives one tool set per RemoteMCPServer of the Agent, in its order, with url, header, timeouts and names", () => {
        const specs = specsOf(testCluster);
        const config = kagentRuntimeFiles(specs, devbotSecrets)["config.json"];
        assert.deepStrictEqual(
            config.http_tools!.map((t) => t.params.url),
            specs.agent.spec.declarative.tools.map(
                (tool) => specs.mcpServers.find((s) => s.metadata.name === tool.mcpServer.name)!.spec.url,
            ),
        );
        const [shell, computerControl] = config.http_tools!;
        assert.deepStrictEqual(shell.params, {
            url: "http://devbot-computer.agent-devbot.svc.cluster.local:8081/mcp",
            headers: { Authorization: "Bearer t0ken" },
            timeout: 660,
            sse_read_timeout: 660,
            terminate_on_close: true,
        });
        assert.deepStrictEqual(shell.tools, specs.agent.spec.declarative.tools[0].mcpServer.toolNames);
        assert.strictEqual(computerControl.params.timeout, 120);
        assert.strictEqual(config.stream, true);
        assert.strictEqual(config.instruction, specs.agent.spec.declarative.systemMessage);
        assert.strictEqual(config.description, specs.agent.spec.description);
        // Field order as Go's json.Marshal writes upstream's AgentConfig.
        assert.deepStrictEqual(Object.keys(config), ["model", "description", "instruction", "http_tools", "stream"]);
    });

    it("maps the ModelConfig as translateModel does: OpenAI always has base_url, Anthropic only when set", () => {
        const config = copy(testCluster);
        config.agents[0].model = { provider: "OpenAI", name: "gpt-4.1", maxTokens: 2048 };
        assert.deepStrictEqual(kagentRuntimeFiles(specsOf(config), devbotSecrets)["config.json"].model, {
            type: "openai",
            model: "gpt-4.1",
            base_url: "",
            max_tokens: 2048,
        });
        config.agents[0].model = { provider: "Anthropic", name: "claude-sonnet-4-5", baseUrl: "http://127.0.0.1:9/x" };
        assert.deepStrictEqual(kagentRuntimeFiles(specsOf(config), devbotSecrets)["config.json"].model, {
            type: "anthropic",
            model: "claude-sonnet-4-5",
            base_url: "http://127.0.0.1:9/x",
        });
    });

    it("fails like the controller when a header's Secret key is missing", () => {
        assert.throws(
            () => kagentRuntimeFiles(specsOf(testCluster), secrets({})),
            /header Authorization: Secret devbot-credentials has no key authorization/,
        );
    });

    it("names the card after the agent and points it at the agent's Service on 8080", () => {
        const config = copy(testCluster);
        config.agents[0].name = "dev-bot";
        const card = kagentRuntimeFiles(
            specsOf(config, "dev-bot"),
            secrets({ "dev-bot-credentials/authorization": "x" }),
        )["agent-card.json"];
        assert.strictEqual(card.name, "dev_bot");
        assert.strictEqual(card.url, "http://dev-bot.agent-dev-bot:8080");
        assert.deepStrictEqual(
            card.supportedInterfaces.map((i) => i.protocolVersion),
            ["0.3", "1.0"],
        );
    });

    it("gives the pod the API key variable of its provider from the ModelConfig's Secret, and kagent's own", () => {
        const env = kagentRuntimeEnv(specsOf(testCluster), "kagent");
        assert.deepStrictEqual(env, [
            { name: "ANTHROPIC_API_KEY", secret: { name: "devbot-credentials", key: "model-api-key" } },
            { name: "KAGENT_NAMESPACE", value: "agent-devbot", fieldPath: "metadata.namespace" },
            { name: "KAGENT_NAME", value: "devbot" },
            { name: "KAGENT_URL", value: "http://kagent-controller.kagent:8083" },
        ]);
    });

    it("reads durations as Go's Duration.Seconds()", () => {
        assert.strictEqual(durationSeconds("11m"), 660);
        assert.strictEqual(durationSeconds("30s"), 30);
        assert.strictEqual(durationSeconds("1h30m"), 5400);
        assert.strictEqual(durationSeconds("5m0s"), 300);
        assert.strictEqual(durationSeconds("1500ms"), 1.5);
        assert.throws(() => durationSeconds("11 minutes"), /not a duration/);
        assert.throws(() => durationSeconds("11"), /not a duration/);
    });
});

describe("model config rules for the runtime", () => {
    const problems = (model: unknown) => {
        const config = copy(testCluster);
        config.agents[0].model = model;
        try {
            parseStackConfig({ values: config, isSecret: () => true, stackName: "test-cluster" });
        } catch (error) {
            assert.ok(error instanceof ConfigError);
            return [...error.problems];
        }
        return [];
    };

    it("refuses maxTokens with Anthropic, which kagent-adk drops", () => {
        assert.deepStrictEqual(problems({ provider: "Anthropic", maxTokens: 1000 }), [
            "agents[0].model.maxTokens: has no effect with provider Anthropic: Kagent 0.10's agent runtime (kagent-adk) ignores it; remove it",
        ]);
        assert.deepStrictEqual(problems({ provider: "OpenAI", name: "gpt-4.1", maxTokens: 1000 }), []);
    });

    it("takes a base URL without credentials in it", () => {
        assert.deepStrictEqual(problems({ baseUrl: "https://gateway.example.com/anthropic" }), []);
        assert.match(problems({ baseUrl: "https://me:pw@gateway.example.com" })[0], /holds a user or password/);
        assert.match(problems({ baseUrl: "gateway.example.com" })[0], /is not an http\(s\) URL/);
    });
});

describe("kagent agent workload (what the controller creates to run an Agent, for the local node)", () => {
    const specs = specsOf(testCluster);
    const files = kagentRuntimeFiles(specs, devbotSecrets);
    const [secret, serviceAccount, deployment, service] = kagentAgentWorkload(
        specs,
        files,
        kagentRuntimeEnv(specs, "kagent"),
        "localhost:5000/kagent-runtime@sha256:0",
    ) as any[];

    it("names every object like the Agent, labels them as kagent does, and selects app=kagent,kagent=<name>", () => {
        for (const object of [secret, serviceAccount, deployment, service]) {
            assert.strictEqual(object.metadata.name, "devbot");
            assert.strictEqual(object.metadata.namespace, "agent-devbot");
            assert.strictEqual(object.metadata.labels.app, "kagent");
            assert.strictEqual(object.metadata.labels.kagent, "devbot");
            assert.strictEqual(object.metadata.labels["app.kubernetes.io/managed-by"], "kagent");
        }
        assert.deepStrictEqual(deployment.spec.selector.matchLabels, { app: "kagent", kagent: "devbot" });
        assert.deepStrictEqual(service.spec.selector, { app: "kagent", kagent: "devbot" });
        // The Agent's deployment labels reach the pod (the stack's token generation rolls it on a rotation).
        assert.strictEqual(deployment.spec.template.metadata.labels["persistent-agents.dev/mcp-token-generation"], "0");
    });

    it("mounts the config Secret at /config and runs kagent-adk static on it, ready when the card answers", () => {
        assert.deepStrictEqual(Object.keys(secret.stringData), ["config.json", "agent-card.json"]);
        assert.deepStrictEqual(JSON.parse(secret.stringData["config.json"]), files["config.json"]);
        const pod = deployment.spec.template.spec;
        const [container] = pod.containers;
        assert.deepStrictEqual(container.args, ["--host", "0.0.0.0", "--port", "8080", "--filepath", "/config"]);
        assert.deepStrictEqual(container.readinessProbe.httpGet, {
            path: "/.well-known/agent-card.json",
            port: "http",
        });
        assert.deepStrictEqual(
            container.volumeMounts.map((m: { mountPath: string }) => m.mountPath),
            ["/config", "/var/run/secrets/tokens"],
        );
        assert.deepStrictEqual(pod.volumes[0], { name: "config", secret: { secretName: "devbot" } });
        assert.strictEqual(pod.serviceAccountName, "devbot");
        assert.deepStrictEqual(service.spec.ports, [{ name: "http", port: 8080, targetPort: 8080 }]);
    });

    it("gives the container the API key from the ModelConfig's Secret, the namespace from the pod, and the Agent's security", () => {
        const [container] = deployment.spec.template.spec.containers;
        assert.deepStrictEqual(container.env.slice(0, 2), [
            {
                name: "ANTHROPIC_API_KEY",
                valueFrom: { secretKeyRef: { name: "devbot-credentials", key: "model-api-key" } },
            },
            { name: "KAGENT_NAMESPACE", valueFrom: { fieldRef: { fieldPath: "metadata.namespace" } } },
        ]);
        const declared = specs.agent.spec.declarative.deployment as Record<string, unknown>;
        assert.deepStrictEqual(container.securityContext, declared.securityContext);
        assert.deepStrictEqual(deployment.spec.template.spec.securityContext, declared.podSecurityContext);
        assert.deepStrictEqual(container.resources, declared.resources);
        assert.strictEqual(deployment.spec.replicas, declared.replicas);
    });
});
