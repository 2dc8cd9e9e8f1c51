/**
 * Every Kubernetes object the program would create, validated against the upstream CRD schemas
 * (../shared/upstream) and the Kubernetes schemas (kubernetes-models).
 */
import * as assert from "assert";
import { skipReason, upstreamSchemasAvailable, validateManifests } from "./conformance";
import { runProgram } from "./harness/program";
import { copy, stackConfig } from "./harness/stackFile";

const variants: Record<string, () => Record<string, any>> = {
    "the test-cluster stack": () => stackConfig("test-cluster"),
    "a CLI-only agent without credentials": () => {
        const config = copy(stackConfig("test-cluster"));
        config.agents = [{ name: "clibot", desktop: { enabled: false }, credentials: { gitea: false, harbor: false } }];
        return config;
    },
    "an agent with secrets from stack config and every override": () => {
        const config = copy(stackConfig("test-cluster"));
        config.agents = [{
            name: "fullbot",
            namespace: "team-fullbot",
            model: { provider: "OpenAI", name: "gpt-5", maxTokens: 4096 },
            desktop: { resolution: "1920x1080" },
            storage: { workspace: "100Gi", config: "1Gi", storageClass: "fast-ssd" },
            resources: { desktop: { limits: { memory: "8Gi" } }, kagent: { requests: { cpu: "200m" } } },
            credentials: { gitea: { username: "fullbot-ci" }, harbor: { username: "robot$agents+fullbot" } },
            secrets: { openaiApiKey: "sk-x", giteaToken: "g", harborPassword: "h" },
        }];
        return config;
    },
};

describe("conformance: every object the program creates", function () {
    before(function () {
        if (!upstreamSchemasAvailable()) {
            this.skip();
        }
    });
    if (!upstreamSchemasAvailable()) {
        it(`is skipped: ${skipReason}`, function () {
            this.skip();
        });
    }

    for (const [title, config] of Object.entries(variants)) {
        it(`validates for ${title}`, async () => {
            const run = await runProgram({ config: config(), secretKeys: ["agents"] });
            assert.ok(run.kubernetesObjects.length >= 9, `only ${run.kubernetesObjects.length} objects`);
            assert.deepStrictEqual(validateManifests(run.kubernetesObjects), []);
        });
    }
});
