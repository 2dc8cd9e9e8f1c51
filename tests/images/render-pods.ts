/**
 * Prints, as JSON, the computer Deployment the stack renders for each agent of Pulumi.test-cluster.yaml
 * (under Pulumi mocks, as the stack tests run it): `{ "<agent>": <Deployment>, … }`, plus
 * `"<agent>-sudo"` for each agent rendered again with `sudo: true`. The image tests (tests/images/run.sh)
 * run these pods with the locally built images.
 */
import { runProgram } from "../harness/program";
import { stackConfig } from "../harness/stackFile";

async function deployments(config: Record<string, any>, suffix: string, pods: Record<string, unknown>): Promise<void> {
    const run = await runProgram({ config });
    for (const object of run.kubernetesObjects) {
        if (object?.kind === "Deployment") {
            const agent = object.metadata.labels?.["persistent-agents.dev/agent"];
            if (!agent) throw new Error(`Deployment ${object.metadata.name} has no persistent-agents.dev/agent label`);
            pods[agent + suffix] = object;
        }
    }
}

async function main(): Promise<void> {
    const config = stackConfig("test-cluster");
    const pods: Record<string, unknown> = {};
    await deployments(config, "", pods);
    const withSudo = JSON.parse(JSON.stringify(config));
    for (const agent of withSudo.agents) agent.sudo = true;
    await deployments(withSudo, "-sudo", pods);
    process.stdout.write(`${JSON.stringify(pods, null, 2)}\n`);
}

main().catch((err) => {
    console.error(err);
    process.exit(1);
});
