/**
 * Prints, as JSON, the BuildKit daemon Deployment the stack renders for each agent of
 * Pulumi.test-cluster.yaml with the build service on (under Pulumi mocks): `{ "<agent>": <Deployment> }`.
 * tests/images/test_build_daemon.py runs them with the locally built buildkitd image.
 */
import { runProgram } from "../harness/program";
import { copy, stackConfig } from "../harness/stackFile";

async function main(): Promise<void> {
    const config = copy(stackConfig("test-cluster"));
    config.platform.buildService = { enabled: true };
    const run = await runProgram({ config });
    const pods: Record<string, unknown> = {};
    for (const object of run.kubernetesObjects) {
        if (object?.kind === "Deployment" && object.metadata.namespace === "agent-builds") {
            pods[object.metadata.labels["persistent-agents.dev/agent"]] = object;
        }
    }
    process.stdout.write(`${JSON.stringify(pods, null, 2)}\n`);
}

main().catch((err) => {
    console.error(err);
    process.exit(1);
});
