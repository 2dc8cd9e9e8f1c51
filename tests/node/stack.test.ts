/**
 * The local stack on the node, as the README's first command deploys it (scripts/local-stack/deploy.sh:
 * images pushed to the node's registry by digest, Vault filled as an operator with writeSecrets off would,
 * `pulumi up`), into a throw-away copy of the project (devbot's desktop recorded: stackProject.ts): both
 * computers run from the stack's own objects, every container Ready, their credentials synced by ESO from
 * Vault, and a second preview plans nothing.
 * The later files of the tier use the same running stack (stackProject()).
 */
import * as assert from "node:assert";
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { before, describe, it } from "node:test";
import { stackPlans } from "../../scripts/local-stack/stackPlans";
import type { LocalStackProject } from "../real/localStackProject";
import { REPO, clusterDir, computerPods, kubectlOk } from "./fixture";
import { createStackProject } from "./stackProject";

describe("the local stack on the node", () => {
    let project: LocalStackProject;
    before(() => {
        project = createStackProject();
        const deploy = spawnSync(
            "bash",
            [path.join(REPO, "scripts", "local-stack", "deploy.sh"), clusterDir(), project.dir],
            {
                stdio: "inherit",
                timeout: 30 * 60_000,
            },
        );
        assert.strictEqual(deploy.status, 0, "scripts/local-stack/deploy.sh failed (its output is above)");
    });

    it("runs every computer with all its containers Ready, from the digests pushed to the node", () => {
        const { plans, platform } = stackPlans(project.configFile);
        assert.strictEqual(plans.length, 2);
        for (const plan of plans) {
            const pods = computerPods(plan.namespace.name, plan.agent);
            assert.strictEqual(pods.length, 1, `${plan.agent}: one computer pod`);
            const statuses = pods[0].status.containerStatuses as any[];
            assert.deepStrictEqual(
                statuses.map((s) => s.name).sort(),
                plan.computer.containers.map((c) => c.name).sort(),
            );
            for (const status of statuses) {
                assert.ok(status.ready, `${plan.agent}: container ${status.name} Ready`);
                assert.match(status.imageID, /^localhost:5000\/agents\/[a-z-]+@sha256:[0-9a-f]{64}$/);
            }
            const images = Object.values(platform.images.prebuilt);
            for (const container of pods[0].spec.containers) {
                assert.ok(images.includes(container.image), `${container.image} is one of the stack's digests`);
            }
        }
        const devbot = plans.find((p) => p.agent === "devbot")!;
        assert.deepStrictEqual(devbot.computer.containers.map((c) => c.role).sort(), [
            "browserView",
            "computerControl",
            "desktop",
            "shell",
        ]);
    });

    it("gets each agent's credentials from Vault through ESO (ExternalSecret Ready, Secret owned by it)", () => {
        for (const plan of stackPlans(project.configFile).plans) {
            const external = JSON.parse(
                kubectlOk([
                    "-n",
                    plan.namespace.name,
                    "get",
                    "externalsecret",
                    plan.credentials.secretName,
                    "-o",
                    "json",
                ]),
            );
            const ready = external.status.conditions.find((c: any) => c.type === "Ready");
            assert.strictEqual(ready?.status, "True", `${plan.agent}: ${ready?.message}`);
            const secret = JSON.parse(
                kubectlOk(["-n", plan.namespace.name, "get", "secret", plan.credentials.secretName, "-o", "json"]),
            );
            assert.deepStrictEqual(
                secret.metadata.ownerReferences.map((o: any) => o.kind),
                ["ExternalSecret"],
            );
            assert.deepStrictEqual(Object.keys(secret.data).sort(), Object.keys(plan.credentials.secretKeys).sort());
            assert.strictEqual(Buffer.from(secret.data["mcp-token"], "base64").toString().length, 48);
        }
    });

    it("plans no change on a second preview", () => {
        const changes = project.preview(["--expect-no-changes"]).filter((step) => step.op !== "same");
        assert.deepStrictEqual(changes, []);
    });
});
