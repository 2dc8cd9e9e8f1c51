/**
 * The workspace outlives the pod and the agent: a file written through run_command survives deleting the
 * pod (the Deployment makes a new one) and removing the agent from the stack, then bringing it back as
 * docs/runbook.md says (its Namespace and claims are kept; import them, then up): the same claim, the same
 * data, on the node's hostPath volume.
 */
import * as assert from "node:assert";
import * as fs from "node:fs";
import * as yaml from "js-yaml";
import { before, describe, it } from "node:test";
import { stackPlans } from "../../scripts/local-stack/stackPlans";
import type { LocalStackProject } from "../real/localStackProject";
import { computerPods, kubectl, kubectlOk, runCommand, secretValue, waitFor } from "./fixture";
import { stackProject } from "./stackProject";

const AGENT = "databot";

describe("the workspace outlives the pod and the agent", () => {
    let project: LocalStackProject;
    let plan: ReturnType<typeof stackPlans>["plans"][number];
    const marker = `kept-${Date.now()}`;
    const shell = () => runCommandIn(plan, `cat ~/workspace/persistence.txt`);
    function runCommandIn(p: typeof plan, command: string) {
        const port = p.mcpServers.find((s) => s.container === "shell")!.port;
        return runCommand(
            p.namespace.name,
            p.computer.name,
            port,
            secretValue(p.namespace.name, p.credentials.secretName, "mcp-token"),
            command,
        );
    }
    const pods = () => computerPods(plan.namespace.name, AGENT);
    const readyPod = () =>
        waitFor(
            `${AGENT}'s computer Ready`,
            () => {
                const ready = pods().find(
                    (p: any) =>
                        !p.metadata.deletionTimestamp &&
                        p.status.conditions?.some((c: any) => c.type === "Ready" && c.status === "True"),
                );
                return ready?.metadata.name;
            },
            300_000,
        );

    before(async () => {
        project = stackProject();
        plan = stackPlans(project.configFile).plans.find((p) => p.agent === AGENT)!;
        await runCommandIn(plan, `echo ${marker} > ~/workspace/persistence.txt`);
    });

    it("survives deleting the pod: the Deployment makes a new one on the same claim", async () => {
        const before = await readyPod();
        kubectlOk(["-n", plan.namespace.name, "delete", "pod", before, "--wait=true"]);
        const after = await readyPod();
        assert.notStrictEqual(after, before);
        assert.strictEqual((await shell()).trim(), marker);
    });

    it("survives removing the agent and bringing it back as the runbook says (import, then up)", async () => {
        const claim = (name: string) =>
            JSON.parse(kubectlOk(["-n", plan.namespace.name, "get", "pvc", name, "-o", "json"]));
        const workspaceClaim = plan.computer.claims.find((c) => c.role === "workspace")!.name;
        const keptUid = claim(workspaceClaim).metadata.uid;
        const file = yaml.load(fs.readFileSync(project.configFile, "utf8")) as { config: Record<string, any> };
        const agents = file.config["persistent-agents:agents"] as { name: string }[];
        const entry = agents.find((a) => a.name === AGENT)!;

        project.removeConfig(`agents[${agents.indexOf(entry)}]`);
        project.up();
        assert.strictEqual(claim(workspaceClaim).metadata.uid, keptUid, "the claim is kept");
        await waitFor("the computer to go", () => pods().length === 0, 120_000);

        // Back, with the same entry: first the agent's component, then its kept objects imported under it.
        const back = yaml.load(fs.readFileSync(project.configFile, "utf8")) as { config: Record<string, any> };
        back.config["persistent-agents:agents"].push(entry);
        fs.writeFileSync(project.configFile, yaml.dump(back));
        const agentUrn = `urn:pulumi:local::persistent-agents::persistent-agents:index:PersistentAgent::${AGENT}`;
        project.pulumiOk(["up", "--yes", "--skip-preview", "--target", agentUrn]);
        const provider = project.stateUrns().find((urn) => urn.includes("::pulumi:providers:kubernetes::"))!;
        const importArgs = [
            "--parent",
            `${AGENT}=${agentUrn}`,
            "--provider",
            `${provider.split("::").pop()}=${provider}`,
            "--generate-code=false",
            "--yes",
        ];
        project.pulumiOk([
            "import",
            "kubernetes:core/v1:Namespace",
            `${AGENT}-namespace`,
            plan.namespace.name,
            ...importArgs,
        ]);
        for (const kept of plan.computer.claims) {
            project.pulumiOk([
                "import",
                "kubernetes:core/v1:PersistentVolumeClaim",
                kept.name,
                `${plan.namespace.name}/${kept.name}`,
                ...importArgs,
            ]);
        }
        project.up();
        assert.strictEqual(claim(workspaceClaim).metadata.uid, keptUid, "the same claim, not a new one");
        await readyPod();
        // The Secret is new (ESO writes it again from Vault): the token is read afresh.
        assert.strictEqual((await shell()).trim(), marker);
        assert.strictEqual(kubectl(["-n", plan.namespace.name, "get", "deployment", plan.computer.name]).status, 0);
    });
});
