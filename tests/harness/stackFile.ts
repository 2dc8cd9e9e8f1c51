/** Reads a committed stack file (Pulumi.<stack>.yaml) into the config a mocked run takes. */
import * as fs from "node:fs";
import * as yaml from "js-yaml";
import * as path from "node:path";
import { PROJECT } from "./program";

export const REPO_ROOT = path.join(__dirname, "..", "..");

/** The project's own keys, without the `persistent-agents:` prefix (provider keys are left out). */
export function stackConfig(stack: string): Record<string, any> {
    const file = path.join(REPO_ROOT, `Pulumi.${stack}.yaml`);
    const parsed = yaml.load(fs.readFileSync(file, "utf8")) as { config?: Record<string, unknown> };
    const config: Record<string, any> = {};
    for (const [key, value] of Object.entries(parsed.config ?? {})) {
        if (key.startsWith(`${PROJECT}:`)) {
            config[key.slice(PROJECT.length + 1)] = value;
        }
    }
    return config;
}

/** A deep copy, for tests that change a stack's config. */
export function copy<T>(value: T): T {
    return JSON.parse(JSON.stringify(value));
}
