/** Where the node tier's copy of the local stack lives (stack.test.ts deploys it; later files use it). */
import * as fs from "node:fs";
import * as path from "node:path";
import * as yaml from "js-yaml";
import { REPO_ROOT } from "../harness/stackFile";
import { LocalStackProject } from "../real/localStackProject";

/**
 * What the node tier records of devbot's desktop (tests/node/agents/test_audit_and_replay.py reads it back
 * from the deployed plan): recording on, as an operator turns it on, with a retention age of its own (not
 * the default 14 days) so that the test can tell the configured value is the one applied.
 */
const DEVBOT_RECORDING = { enabled: true, maxAgeDays: 7 };

function projectDir(): string {
    const work = process.env.NODE_TIER_WORK;
    if (!work) {
        throw new Error("NODE_TIER_WORK is not set: run the node tier through tests/node/run.sh");
    }
    return path.join(work, "project");
}

export function stackProject(): LocalStackProject {
    return LocalStackProject.open(projectDir());
}

/** The local stack's agents (Pulumi.local.yaml) with devbot's desktop recorded. */
function nodeTierAgents(): Record<string, any>[] {
    const file = yaml.load(fs.readFileSync(path.join(REPO_ROOT, "Pulumi.local.yaml"), "utf8")) as {
        config: Record<string, Record<string, any>[]>;
    };
    return file.config["persistent-agents:agents"].map((agent) =>
        agent.name === "devbot"
            ? {
                  ...agent,
                  desktop: { ...agent.desktop, recording: { ...agent.desktop?.recording, ...DEVBOT_RECORDING } },
              }
            : agent,
    );
}

/** The tier's copy of the local stack, laid out and initialised (stack.test.ts deploys it). */
export function createStackProject(): LocalStackProject {
    return LocalStackProject.create(projectDir(), nodeTierAgents(), { node: true });
}
