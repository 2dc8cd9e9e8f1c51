/** Where the node tier's copy of the local stack lives (stack.test.ts deploys it; later files use it). */
import * as path from "node:path";
import { LocalStackProject } from "../real/localStackProject";

export function projectDir(): string {
    const work = process.env.NODE_TIER_WORK;
    if (!work) {
        throw new Error("NODE_TIER_WORK is not set: run the node tier through tests/node/run.sh");
    }
    return path.join(work, "project");
}

export function stackProject(): LocalStackProject {
    return LocalStackProject.open(projectDir());
}
