/**
 * The desktop recording in the stack (desktop.recording: components/config, plan/containers.ts): what the
 * browser view's container gets when it records, and the config it refuses.
 */
import * as assert from "node:assert";
import { ConfigError, parseStackConfig } from "../components/config";
import { runProgram } from "./harness/program";
import { copy, stackConfig } from "./harness/stackFile";

const testCluster = stackConfig("test-cluster");

function config(desktop: Record<string, any>, storage?: Record<string, any>): Record<string, any> {
    const values = copy(testCluster);
    const devbot = values.agents.find((agent: any) => agent.name === "devbot");
    devbot.desktop = { ...devbot.desktop, ...desktop };
    if (storage) devbot.storage = { ...devbot.storage, ...storage };
    return values;
}

async function browserView(values: Record<string, any>): Promise<any> {
    const run = await runProgram({ config: values });
    const deployment = run
        .byType("kubernetes:apps/v1:Deployment")
        .find((d) => d.inputs.metadata.name === "devbot-computer")!;
    return deployment.inputs.spec.template.spec.containers.find((c: any) => c.name === "browser-view");
}

function problems(values: Record<string, any>): string {
    try {
        parseStackConfig({
            values: { agents: values.agents, platform: values.platform },
            isSecret: () => false,
            stackName: "test-cluster",
        });
    } catch (error) {
        assert.ok(error instanceof ConfigError);
        return error.problems.join("\n");
    }
    return assert.fail("accepted");
}

describe("desktop recording in the stack", () => {
    it("gives the browser view the recording's folder, retention and privacy setting, and the config volume", async () => {
        const container = await browserView(
            config({
                browserView: { enabled: true },
                recording: { enabled: true, maxAgeDays: 7, maxSize: "2Gi", duringTakeover: true },
            }),
        );
        const env = Object.fromEntries(container.env.map((e: any) => [e.name, e.value]));
        assert.strictEqual(env.RECORDING_DIR, "/home/agent/.config/persistent-agents/recordings");
        assert.strictEqual(env.AUDIT_DIR, "/home/agent/.config/persistent-agents/audit");
        assert.strictEqual(env.RECORDING_MAX_AGE_SECONDS, String(7 * 86_400));
        assert.strictEqual(env.RECORDING_MAX_BYTES, String(2 * 2 ** 30));
        assert.strictEqual(env.RECORDING_DURING_TAKEOVER, "true");
        const mount = container.volumeMounts.find((m: any) => m.name === "config");
        assert.strictEqual(mount.mountPath, "/home/agent/.config");
        assert.notStrictEqual(mount.readOnly, true, "the recorder writes its segments there");
    });

    it("records nothing by default, and never during a takeover unless the operator says so", async () => {
        const container = await browserView(config({ browserView: { enabled: true } }));
        assert.ok(!container.env.some((e: any) => e.name.startsWith("RECORDING_") || e.name === "AUDIT_DIR"));
        assert.ok(!container.volumeMounts.some((m: any) => m.name === "config"));
        const recording = await browserView(config({ browserView: { enabled: true }, recording: { enabled: true } }));
        const env = Object.fromEntries(recording.env.map((e: any) => [e.name, e.value]));
        assert.strictEqual(env.RECORDING_DURING_TAKEOVER, "false");
        assert.strictEqual(env.RECORDING_MAX_AGE_SECONDS, String(14 * 86_400));
        assert.strictEqual(env.RECORDING_MAX_BYTES, String(2 ** 30));
    });

    it("refuses a recording without the browser view, without a desktop, or larger than the config volume", () => {
        assert.match(
            problems(config({ recording: { enabled: true } })),
            /agents\[0\]\.desktop\.recording\.enabled.*desktop\.browserView\.enabled/,
        );
        assert.match(
            problems(config({ enabled: false, recording: { enabled: true } })),
            /desktop\.recording\.enabled.*desktop is disabled/,
        );
        assert.match(
            problems(config({ browserView: { enabled: true }, recording: { enabled: true, maxSize: "5Gi" } })),
            /desktop\.recording\.maxSize.*storage\.config 5Gi/,
        );
        assert.match(
            problems(
                config(
                    { browserView: { enabled: true }, recording: { enabled: true, maxSize: "2Gi" } },
                    { config: "1Gi" },
                ),
            ),
            /desktop\.recording\.maxSize/,
        );
    });
});
