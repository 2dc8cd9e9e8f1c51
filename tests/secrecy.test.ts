/** No secret value in a Kubernetes object, an output or plain state; every secret input marked secret. */
import * as assert from "node:assert";
import { type ProgramRun, SECRET_SIG, runProgram } from "./harness/program";
import { copy, stackConfig } from "./harness/stackFile";

const OPERATOR_SECRETS = {
    anthropicApiKey: "sk-ant-operator-key-0123456789",
    giteaToken: "gitea-token-abcdef0123456789",
    harborPassword: 'harbor-pass-"quoted"-9876',
};

/** Every string inside a value, looking into secret wrappers too. */
function strings(value: unknown): string[] {
    if (typeof value === "string") {
        return [value];
    }
    if (Array.isArray(value)) {
        return value.flatMap(strings);
    }
    if (value && typeof value === "object") {
        return Object.values(value).flatMap(strings);
    }
    return [];
}

function containsSecretMarker(value: unknown): boolean {
    return JSON.stringify(value ?? null).includes(SECRET_SIG);
}

describe("secrecy: an agent whose secrets come from stack config", () => {
    let run: ProgramRun;
    let secretValues: string[];
    before(async () => {
        const config = copy(stackConfig("test-cluster"));
        config.agents[0].secrets = { ...OPERATOR_SECRETS };
        config.registryPassword = "registry-push-password";
        config.platform.images = { registryUsername: "robot$agents+ci" };
        run = await runProgram({ config, secretKeys: ["agents", "registryPassword"] });
        const generated = run
            .byType("random:index/randomPassword:RandomPassword")
            .map((p) => `generated-secret-${p.name}`);
        secretValues = [...Object.values(OPERATOR_SECRETS), "registry-push-password", ...generated];
    });

    it("writes the config secrets and generated secrets to Vault at the stack-owned path, as a secret input", () => {
        const written = run.one("vault:kv/secretV2:SecretV2", "devbot-generated").inputs;
        assert.strictEqual(written.mount, "secret");
        assert.strictEqual(
            written.name,
            "agents/devbot/generated",
            "explicit name, never the operator's provided path",
        );
        assert.ok(containsSecretMarker(written.dataJson), "dataJson reaches the provider marked secret");
        const data = JSON.parse(written.dataJson.value);
        assert.deepStrictEqual(Object.keys(data).sort(), [
            "gitea-token",
            "harbor-password",
            "mcp-token",
            "model-api-key",
            "vnc-password",
        ]);
        assert.strictEqual(data["model-api-key"], OPERATOR_SECRETS.anthropicApiKey);
        assert.strictEqual(data["mcp-token"], "generated-secret-devbot-mcp-token");
        // databot still takes its secrets from the operator's Vault path: only generated values are written.
        const databot = JSON.parse(run.one("vault:kv/secretV2:SecretV2", "databot-generated").inputs.dataJson.value);
        assert.deepStrictEqual(Object.keys(databot), ["mcp-token"]);
    });

    it("reads them back through the ExternalSecret from the right paths", () => {
        const devbot = run.one("kubernetes:external-secrets.io/v1:ExternalSecret", "devbot-credentials").inputs.spec;
        assert.deepStrictEqual(
            devbot.data.map((d: any) => `${d.secretKey}<-${d.remoteRef.key}#${d.remoteRef.property}`).sort(),
            [
                "giteaToken<-agents/devbot/generated#gitea-token",
                "harborPassword<-agents/devbot/generated#harbor-password",
                "mcpToken<-agents/devbot/generated#mcp-token",
                "modelApiKey<-agents/devbot/generated#model-api-key",
                "vncPassword<-agents/devbot/generated#vnc-password",
            ],
        );
        const databot = run.one("kubernetes:external-secrets.io/v1:ExternalSecret", "databot-credentials").inputs.spec;
        assert.deepStrictEqual(databot.data.map((d: any) => `${d.secretKey}<-${d.remoteRef.key}`).sort(), [
            "giteaToken<-agents/databot/provided",
            "mcpToken<-agents/databot/generated",
            "modelApiKey<-agents/databot/provided",
        ]);
    });

    it("puts no secret value, and no secret-marked input, into any Kubernetes object", () => {
        assert.ok(run.kubernetesObjects.length > 20);
        for (const object of run.kubernetesObjects) {
            const text = strings(object).join("\n");
            for (const secret of secretValues) {
                assert.ok(!text.includes(secret), `${object.kind} ${object.metadata.name} contains a secret value`);
            }
            assert.ok(!containsSecretMarker(object), `${object.kind} ${object.metadata.name} has a secret input`);
        }
    });

    it("puts no secret value in the stack outputs", () => {
        const text = JSON.stringify(run.outputs);
        for (const secret of secretValues) {
            assert.ok(!text.includes(secret));
        }
    });

    it("marks the registry push password secret", () => {
        for (const image of run.byType("docker-build:index:Image")) {
            // The secret password makes the whole registries input secret on its way to the provider.
            assert.ok(containsSecretMarker(image.inputs.registries), `${image.name}'s registry credentials are secret`);
            const registries = image.inputs.registries.value ?? image.inputs.registries;
            assert.deepStrictEqual(
                registries.map((r: any) => r.username),
                ["robot$agents+ci"],
            );
        }
    });

    it("generates the MCP token and VNC password with RandomPassword, rotated by config", async () => {
        const passwords = run.byType("random:index/randomPassword:RandomPassword");
        assert.deepStrictEqual(passwords.map((p) => p.name).sort(), [
            "databot-mcp-token",
            "devbot-mcp-token",
            "devbot-vnc-password",
        ]);
        assert.strictEqual(
            run.one("random:index/randomPassword:RandomPassword", "devbot-vnc-password").inputs.length,
            8,
            "VNC uses 8 characters",
        );
        const config = copy(stackConfig("test-cluster"));
        config.agents[0].rotation = { mcpToken: 1 };
        const rotated = await runProgram({ config });
        assert.deepStrictEqual(
            rotated.one("random:index/randomPassword:RandomPassword", "devbot-mcp-token").inputs.keepers,
            { rotation: "1" },
        );
        const agent = rotated.one("kubernetes:kagent.dev/v1alpha2:Agent", "devbot-agent").inputs;
        assert.strictEqual(
            agent.metadata.labels["persistent-agents.dev/mcp-token-generation"],
            "1",
            "the Agent re-renders with the new token",
        );
    });

    it("assembles the Secret's keys with ESO templates, never literal values", () => {
        const template = run.one("kubernetes:external-secrets.io/v1:ExternalSecret", "devbot-credentials").inputs.spec
            .target.template;
        assert.strictEqual(template.engineVersion, "v2");
        const { ".dockerconfigjson": dockerConfig, ...rest } = template.data;
        assert.deepStrictEqual(rest, {
            "vnc-password": "{{ .vncPassword }}",
            "mcp-token": "{{ .mcpToken }}",
            authorization: "Bearer {{ .mcpToken }}",
            "model-api-key": "{{ .modelApiKey }}",
            "git-credentials":
                'https://devbot:{{ regexReplaceAll "\\\\s+$" .giteaToken "" | urlquery | replace "+" "%20" }}@git.test-cluster.agentydragon.com\n',
        });
        assert.strictEqual(
            dockerConfig,
            '{{ dict "auths" (dict "registry.test-cluster.agentydragon.com" (dict "username" "robot$agents+devbot" "password" .harborPassword ' +
                '"auth" (printf "%s:%s" "robot$agents+devbot" .harborPassword | b64enc))) | toJson }}',
        );
    });
});
