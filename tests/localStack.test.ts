/**
 * The local stack (Pulumi.local.yaml, docs/local-stack.md): the program on the local node, with no cloud,
 * no Vault provider and no Docker. Runs the program with that file's config under mocks, so the documented
 * way to try the program cannot rot (tests/node runs it for real).
 */
import * as assert from "node:assert";
import * as fs from "node:fs";
import * as yaml from "js-yaml";
import * as path from "node:path";
import { type ProgramRun, runProgram } from "./harness/program";
import { REPO_ROOT, stackConfig } from "./harness/stackFile";

const FILE = path.join(REPO_ROOT, "Pulumi.local.yaml");
const DIGEST_REF = /^[a-z0-9][a-z0-9._\-/:]*@sha256:[0-9a-f]{64}$/;
/** Kinds without a namespace; every other object must name its namespace (render mode drops it otherwise). */
const CLUSTER_SCOPED = new Set([
    "Namespace",
    "ClusterRole",
    "ClusterRoleBinding",
    "ClusterSecretStore",
    "StorageClass",
    "CustomResourceDefinition",
]);

const local = stackConfig("local");
const raw = yaml.load(fs.readFileSync(FILE, "utf8")) as { config: Record<string, unknown> };

function containers(run: ProgramRun): any[] {
    return run
        .byType("kubernetes:apps/v1:Deployment")
        .flatMap((d) => [
            ...(d.inputs.spec.template.spec.initContainers ?? []),
            ...d.inputs.spec.template.spec.containers,
        ]);
}

describe("local stack (Pulumi.local.yaml)", () => {
    it("targets the local cluster, runs every agent, names prebuilt images and switches Vault writes off", () => {
        // Pinned, so the stack never follows KUBECONFIG to a real cluster; rendering is a stack of its own.
        assert.strictEqual(raw.config["kubernetes:kubeconfig"], ".cache/local-cluster/kubeconfig");
        assert.strictEqual(raw.config["kubernetes:renderYamlToDirectory"], undefined);
        // The local node runs both computers (up-local.sh); the real tier, with no node, suspends its copy.
        assert.deepStrictEqual(
            (local.agents as { suspended?: boolean }[]).map((a) => a.suspended ?? false),
            [false, false],
        );
        assert.ok(
            fs.readFileSync(path.join(REPO_ROOT, ".gitignore"), "utf8").split("\n").includes("/rendered/"),
            "the rendered folder is git-ignored (rendered Secrets would be plaintext)",
        );
        assert.strictEqual(local.platform.vault.writeSecrets, false);
        for (const image of ["desktop", "computerControlMcp", "shell", "browserView"]) {
            assert.match(local.platform.images[image], DIGEST_REF, `platform.images.${image}`);
        }
        assert.ok(!Object.keys(raw.config).some((key) => key.startsWith("vault:")), "no Vault provider config needed");
    });

    it("has a desktop agent with a browser view and a CLI agent, like test-cluster", () => {
        const agents = local.agents as {
            name: string;
            desktop?: { enabled?: boolean; browserView?: { enabled?: boolean } };
        }[];
        assert.deepStrictEqual(
            agents.map((a) => a.desktop?.enabled !== false),
            [true, false],
        );
        assert.deepStrictEqual(
            agents.map((a) => a.desktop?.browserView?.enabled === true),
            [true, false],
        );
    });

    for (const dryRun of [false, true]) {
        describe(dryRun ? "pulumi preview" : "pulumi up", () => {
            let run: ProgramRun;
            before(async () => {
                run = await runProgram({ config: local, stack: "local", dryRun });
            });

            it("registers no Vault, random or image-build resource", () => {
                const offending = run.resources.filter((r) => /^(vault|random|docker-build|docker):/.test(r.type));
                assert.deepStrictEqual(
                    offending.map((r) => `${r.type} ${r.name}`),
                    [],
                );
                assert.ok(
                    run.byType("kubernetes:apps/v1:Deployment").length === 2,
                    "both computers are still rendered",
                );
            });

            it("runs every container from the prebuilt digests", () => {
                const used = containers(run).map((c) => c.image);
                assert.ok(used.length >= 4, `found ${used.length} containers`);
                const given = Object.values(local.platform.images as Record<string, string>);
                for (const image of used) {
                    assert.ok(given.includes(image), `${image} is one of the prebuilt digests`);
                }
                assert.deepStrictEqual(new Set(used), new Set(given));
            });

            it("wires kagent and ESO: ExternalSecrets read the Vault paths up-local.sh fills", () => {
                const externalSecrets = run.byType("kubernetes:external-secrets.io/v1:ExternalSecret");
                assert.strictEqual(externalSecrets.length, 2);
                const keys = externalSecrets.flatMap((e) => e.inputs.spec.data.map((d: any) => d.remoteRef.key));
                assert.ok(keys.includes("agents/devbot/generated"), keys.join(", "));
                assert.strictEqual(run.byType("kubernetes:kagent.dev/v1alpha2:Agent").length, 2);
                const stores = run
                    .byType("kubernetes:external-secrets.io/v1:SecretStore")
                    .map((s) => s.inputs.metadata.name);
                assert.deepStrictEqual(stores.sort(), ["databot-vault", "devbot-vault"]);
                assert.ok(
                    run.byType("kubernetes:networking.k8s.io/v1:NetworkPolicy").length >= 8,
                    "network policies are rendered",
                );
            });

            if (!dryRun) {
                it("gives every namespaced object an explicit namespace (render mode writes none otherwise)", () => {
                    for (const object of run.kubernetesObjects) {
                        if (CLUSTER_SCOPED.has(object.kind)) {
                            continue;
                        }
                        assert.strictEqual(
                            typeof object.metadata?.namespace,
                            "string",
                            `${object.kind} ${object.metadata?.name}`,
                        );
                    }
                });
            }
        });
    }
});
