/**
 * The operator's interface: the stack config, validated as a whole before any resource is registered.
 * Pure: resources/stackConfig.ts reads the running program's config and hands it over as RawStackConfig.
 */
import { checkSecretsEncrypted, type StackFile } from "./plainTextSecrets";
import { ConfigError, Problems } from "./problems";
import { stackConfigSchema } from "./schema";
import { agentSpec, checkAgainstPlatform, platformSpec } from "./spec";
import type { StackConfig } from "./types";

export * from "./types";
export { ConfigError, Problems } from "./problems";
export type { StackFile } from "./plainTextSecrets";

export interface RawStackConfig {
    /** The project's config keys without the `<project>:` prefix, values as Pulumi passes them (JSON parsed). */
    values: Record<string, unknown>;
    /** Whether Pulumi holds a top-level key (without prefix) as a secret. */
    isSecret: (key: string) => boolean;
    /** The stack file, when the program found one: where plain-text secrets are told apart per value. */
    stackFile?: StackFile;
    stackName: string;
}

/** Parses and validates the whole config; throws one ConfigError listing every problem. */
export function parseStackConfig(raw: RawStackConfig): StackConfig {
    const { config, problems } = validateStackConfig(raw);
    if (config === undefined || problems.any) {
        throw new ConfigError(problems.list);
    }
    return config;
}

/**
 * Every problem of the config, and the specs when its shape is right (even with problems across keys,
 * so that the plan's own checks can add theirs: plan/stack.ts compileStack).
 */
export function validateStackConfig(raw: RawStackConfig): { config?: StackConfig; problems: Problems } {
    const problems = new Problems();
    const parsed = stackConfigSchema.safeParse(withoutNulls(raw.values));
    if (!parsed.success) {
        problems.addIssues(parsed.error.issues);
        return { problems };
    }
    const agents = parsed.data.agents ?? [];
    checkAgainstPlatform(agents, parsed.data.platform, problems);
    checkSecretsEncrypted(
        { agents, registryPassword: parsed.data.registryPassword },
        raw.isSecret,
        raw.stackFile,
        problems,
    );
    const platform = platformSpec(parsed.data.platform, raw.stackName);
    return { config: { platform, agents: agents.map((agent) => agentSpec(agent, platform)) }, problems };
}

/** YAML's `key:` with nothing after it means "not set", as if the key were absent. */
function withoutNulls(value: unknown): unknown {
    if (Array.isArray(value)) {
        return value.map(withoutNulls);
    }
    if (value !== null && typeof value === "object") {
        return Object.fromEntries(
            Object.entries(value)
                .filter(([, v]) => v !== null)
                .map(([k, v]) => [k, withoutNulls(v)]),
        );
    }
    return value;
}
