/**
 * The local stack's life with the real Pulumi engine against the real tier's own kube-apiserver: `up`
 * creates every object, a second preview has nothing to do, adding an agent plans exactly that agent's
 * resources, removing one keeps its Namespace and PVCs, the runbook brings it back by import, and `destroy`
 * keeps the retained objects. What the program registers is taken from the same program run under mocks
 * (tests/harness), so the expectations follow the program.
 */
import * as assert from "node:assert";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as yaml from "js-yaml";
import * as path from "node:path";
import { before, describe, it } from "node:test";
import { PROJECT } from "../harness/program";
import { describeObject, getObject } from "./kube";
import { LocalStackProject, STACK } from "./localStackProject";

const NEW_AGENT = "testbot";
/** The objects `retainOnDelete` keeps (components/resources/agent.ts, components/resources/computer.ts): Namespace and both PVCs. */
const RETAINED = (agent: string) => [
    { resource: "namespace", name: `agent-${agent}` },
    { resource: "persistentvolumeclaim", name: `${agent}-workspace`, namespace: `agent-${agent}` },
    { resource: "persistentvolumeclaim", name: `${agent}-config`, namespace: `agent-${agent}` },
];

/** The project's config in a stack file as the mocked program takes it (without the project prefix). */
function projectConfig(file: string): Record<string, unknown> {
    const parsed = yaml.load(fs.readFileSync(file, "utf8")) as { config: Record<string, unknown> };
    return Object.fromEntries(
        Object.entries(parsed.config)
            .filter(([key]) => key.startsWith(`${PROJECT}:`))
            .map(([key, value]) => [key.slice(PROJECT.length + 1), value]),
    );
}

interface MockedRun {
    resources: { type: string; urn: string; retainOnDelete: boolean; inputs: any }[];
    kubernetesObjects: any[];
}

/** The program under mocks with this config file, in a process of its own (tests/real/mockedRun.ts). */
async function mockedRun(configFile: string): Promise<MockedRun> {
    const run = spawnSync(
        process.execPath,
        ["--require", "tsx/cjs", path.join(__dirname, "mockedRun.ts"), configFile, STACK],
        { encoding: "utf8", maxBuffer: 256 * 1024 * 1024, cwd: path.join(__dirname, "..", "..") },
    );
    assert.strictEqual(run.status, 0, run.stderr);
    const resources = JSON.parse(run.stdout) as MockedRun["resources"];
    return {
        resources,
        kubernetesObjects: resources.filter((r) => r.type.startsWith("kubernetes:")).map((r) => r.inputs),
    };
}

/** kubectl's name for a kind: `deployment.v1.apps`, `agent.v1alpha2.kagent.dev`, `service` (core). */
function resourceName(object: any): string {
    const [group, version] = object.apiVersion.includes("/") ? object.apiVersion.split("/") : ["", object.apiVersion];
    return group ? `${object.kind.toLowerCase()}.${version}.${group}` : object.kind.toLowerCase();
}

function stored(object: any): any | undefined {
    return getObject(resourceName(object), object.metadata.name, object.metadata.namespace);
}

/**
 * The new agent, as an operator adds it. Suspended like the copy's own agents: the real tier has no
 * kubelet, so its Deployment could never become ready, and `up` would wait for it.
 */
function addAgent(project: LocalStackProject, index: number): void {
    project.setConfig(`agents[${index}].name`, NEW_AGENT);
    project.setConfig(`agents[${index}].desktop.enabled`, "false");
    project.setConfig(`agents[${index}].suspended`, "true");
}

const agentUrn = (agent: string) => `urn:pulumi:${STACK}::${PROJECT}::${PROJECT}:index:PersistentAgent::${agent}`;
const belongsTo = (urn: string, agent: string) =>
    urn === agentUrn(agent) || urn.split("::").pop()!.startsWith(`${agent}-`);

describe("the local stack with the real engine and a real API server", () => {
    let project: LocalStackProject;
    before(() => {
        const work = process.env.REAL_TIER_WORK;
        assert.ok(work, "REAL_TIER_WORK is not set: run the real tier through tests/real/run.sh");
        project = LocalStackProject.create(path.join(work, "project"));
    });

    it("pulumi up creates every Kubernetes object the program registers", async () => {
        project.up();
        const expected = await mockedRun(project.configFile);
        const objects = expected.kubernetesObjects;
        assert.ok(objects.length >= 30, `the program registers only ${objects.length} objects`);
        const missing: string[] = [];
        for (const object of objects) {
            const found = stored(object);
            if (!found) {
                missing.push(describeObject(object));
                continue;
            }
            for (const [key, value] of Object.entries<string>(object.metadata.labels ?? {})) {
                assert.strictEqual(found.metadata.labels?.[key], value, `${describeObject(object)}: label ${key}`);
            }
        }
        assert.deepStrictEqual(missing, []);
        const inState = new Set(project.stateUrns());
        assert.deepStrictEqual(
            expected.resources.map((r) => r.urn).filter((urn) => !inState.has(urn)),
            [],
            "every resource the program registers is in the stack's state",
        );
    });

    it("a second pulumi preview has no changes (no perpetual diff)", () => {
        project.pulumiOk(["preview", "--expect-no-changes"]);
    });

    it("adding an agent with `pulumi config set --path` previews exactly that agent's resources, as creates", async () => {
        const before = await mockedRun(project.configFile);
        const index = (projectConfig(project.configFile).agents as unknown[]).length;
        addAgent(project, index);
        const after = await mockedRun(project.configFile);
        const known = new Set(before.resources.map((r) => r.urn));
        const added = after.resources
            .map((r) => r.urn)
            .filter((urn) => !known.has(urn))
            .sort();
        assert.ok(added.length >= 10 && added.every((urn) => belongsTo(urn, NEW_AGENT)), added.join("\n"));

        const changes = project.preview().filter((step) => step.op !== "same");
        assert.deepStrictEqual(
            changes.filter((step) => step.op !== "create"),
            [],
            "nothing else changes",
        );
        assert.deepStrictEqual(changes.map((step) => step.urn).sort(), added);
    });

    let keptUids: Record<string, string>;
    it("removing an agent deletes its objects but keeps its Namespace and PVCs in the API server", async () => {
        project.up();
        const created = await mockedRun(project.configFile);
        const deployment = created.kubernetesObjects.find(
            (o) => o.kind === "Deployment" && o.metadata.name === `${NEW_AGENT}-computer`,
        );
        assert.ok(deployment && stored(deployment), `${NEW_AGENT}'s Deployment exists after up`);
        keptUids = Object.fromEntries(
            RETAINED(NEW_AGENT).map((o) => [o.name, getObject(o.resource, o.name, o.namespace).metadata.uid]),
        );

        const agents = projectConfig(project.configFile).agents as { name: string }[];
        project.removeConfig(`agents[${agents.findIndex((a) => a.name === NEW_AGENT)}]`);
        project.up();

        for (const kept of RETAINED(NEW_AGENT)) {
            const found = getObject(kept.resource, kept.name, kept.namespace);
            assert.ok(found, `${kept.resource} ${kept.name} is kept`);
            assert.strictEqual(
                found.metadata.uid,
                keptUids[kept.name],
                `${kept.name} is the same object, not a new one`,
            );
            assert.strictEqual(found.metadata.deletionTimestamp, undefined, `${kept.name} is not being deleted`);
        }
        const gone = created.kubernetesObjects.filter(
            (o) => o.metadata?.namespace === `agent-${NEW_AGENT}` && o.kind !== "PersistentVolumeClaim",
        );
        assert.deepStrictEqual(
            gone.filter((o) => stored(o)).map(describeObject),
            [],
            "every other object of the agent is deleted",
        );
        assert.deepStrictEqual(
            project.stateUrns().filter((urn) => belongsTo(urn, NEW_AGENT)),
            [],
            "and leaves the state",
        );
    });

    // Found here: the imported claim carries what the cluster filled in when it bound (volumeName, class,
    // volume mode), the program does not; the claim's ignoreChanges (components/resources/computer.ts) keeps that from
    // planning a replacement, which docs/runbook.md promises never happens.
    it("the agent comes back as docs/runbook.md says: import its kept Namespace and PVCs, then up", () => {
        addAgent(project, (projectConfig(project.configFile).agents as unknown[]).length);
        // The runbook lets a plain `up` fail on the kept Namespace ("already exists", Kubernetes provider
        // 4.29+) to record the agent's component; the provider built here (4.25) would adopt the objects
        // instead, so the component is recorded with a targeted up, which leaves the same state behind.
        project.pulumiOk(["up", "--yes", "--skip-preview", "--target", agentUrn(NEW_AGENT)]);
        const parent = `${NEW_AGENT}=${agentUrn(NEW_AGENT)}`;
        // Beyond the runbook: `import` asks for the provider version the SDK names (4.34.2), which the loader
        // cannot find here (4.25.0 is built), so the import uses the stack's own default provider, and prints no
        // generated code (the code generator asks the loader for 4.34.2 as well).
        const provider = project.stateUrns().find((urn) => urn.includes("::pulumi:providers:kubernetes::"))!;
        const withProvider = ["--provider", `${provider.split("::").pop()}=${provider}`];
        project.pulumiOk([
            "import",
            "kubernetes:core/v1:Namespace",
            `${NEW_AGENT}-namespace`,
            `agent-${NEW_AGENT}`,
            "--parent",
            parent,
            ...withProvider,
            "--generate-code=false",
            "--yes",
        ]);
        for (const claim of ["workspace", "config"]) {
            project.pulumiOk([
                "import",
                "kubernetes:core/v1:PersistentVolumeClaim",
                `${NEW_AGENT}-${claim}`,
                `agent-${NEW_AGENT}/${NEW_AGENT}-${claim}`,
                "--parent",
                parent,
                ...withProvider,
                "--generate-code=false",
                "--yes",
            ]);
        }
        const steps = project.preview(["--diff"]);
        const kept = steps.filter((step) => /::(testbot-namespace|testbot-workspace|testbot-config)$/.test(step.urn));
        assert.strictEqual(kept.length, 3, JSON.stringify(steps, null, 1));
        for (const step of kept) {
            assert.ok(["same", "update"].includes(step.op), `${step.urn}: ${step.op}, expected no more than an update`);
        }
        project.up();
        project.pulumiOk(["preview", "--expect-no-changes"]);
        for (const kept of RETAINED(NEW_AGENT)) {
            assert.strictEqual(
                getObject(kept.resource, kept.name, kept.namespace)?.metadata.uid,
                keptUids[kept.name],
                `${kept.name} is the kept object, not a new one`,
            );
        }
    });

    it("pulumi destroy deletes everything but the retained Namespaces and PVCs", async () => {
        // `pulumi import` left the new agent's objects protected; should the test above stop before its `up`
        // (which gives them the program's options), they would still be. Take the agent out first, so that
        // destroy meets the objects `up` made.
        project.pulumiOk(["state", "unprotect", "--all", "--yes"]);
        const agents = projectConfig(project.configFile).agents as { name: string }[];
        project.removeConfig(`agents[${agents.findIndex((a) => a.name === NEW_AGENT)}]`);
        project.up();
        const deployed = await mockedRun(project.configFile);
        project.pulumiOk(["destroy", "--yes", "--skip-preview"]);
        const retained = deployed.resources
            .filter((r) => r.retainOnDelete && r.type.startsWith("kubernetes:"))
            .map((r) => r.inputs);
        assert.strictEqual(retained.length, 6, "a Namespace and two PVCs for each of the stack's two agents");
        assert.deepStrictEqual(retained.filter((o) => !stored(o)).map(describeObject), [], "retained objects stay");
        const deleted = deployed.kubernetesObjects.filter((o) => !retained.includes(o));
        assert.deepStrictEqual(deleted.filter((o) => stored(o)).map(describeObject), [], "the others are gone");
        assert.deepStrictEqual(project.stateUrns(), [], "the state is empty");
    });
});
