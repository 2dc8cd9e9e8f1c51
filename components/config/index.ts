/**
 * The operator's interface: the stack config, validated as a whole before any resource is registered.
 */
import * as pulumi from "@pulumi/pulumi";
import * as fs from "fs";
import * as yaml from "js-yaml";
import * as path from "path";
import { StackFile, checkSecretsEncrypted } from "./plainTextSecrets";
import { ConfigError, Problems } from "./problems";
import { stackConfigSchema } from "./schema";
import { agentSpec, checkAgainstPlatform, platformSpec } from "./spec";
import { StackConfig } from "./types";

export * from "./types";
export { ConfigError } from "./problems";
export { parseQuantity, formatBytes, formatCpu } from "./quantity";
export { CONTAINER_ROLES, DEFAULT_RESOURCES, WORKSPACE_PATH, computerRoles, defaultSystemMessage } from "./defaults";
export { MODEL_KEY_FIELD } from "./agentRules";
export { IMAGE_NAMES } from "./platformSchema";
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
    const problems = new Problems();
    const parsed = stackConfigSchema.safeParse(withoutNulls(raw.values));
    if (!parsed.success) {
        problems.addIssues(parsed.error.issues);
        throw new ConfigError(problems.list);
    }
    const agents = parsed.data.agents ?? [];
    checkAgainstPlatform(agents, parsed.data.platform, problems);
    checkSecretsEncrypted(
        { agents, registryPassword: parsed.data.registryPassword },
        raw.isSecret,
        raw.stackFile,
        problems,
    );
    if (problems.any) {
        throw new ConfigError(problems.list);
    }
    const platform = platformSpec(parsed.data.platform, raw.stackName);
    return { platform, agents: agents.map((agent) => agentSpec(agent, platform)) };
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

/** Reads the config of the running Pulumi program: every key under the project's namespace. */
export function readStackConfig(): StackConfig {
    const project = pulumi.getProject();
    const stackName = pulumi.getStack();
    const prefix = `${project}:`;
    const values: Record<string, unknown> = {};
    for (const [key, text] of Object.entries(pulumi.runtime.allConfig())) {
        if (key.startsWith(prefix)) {
            values[key.slice(prefix.length)] = parseConfigValue(text);
        }
    }
    return parseStackConfig({
        values,
        isSecret: (key) => isSecretKey(`${prefix}${key}`),
        stackFile: readStackFile(project, stackName),
        stackName,
    });
}

/**
 * Whether Pulumi holds a config key as a secret. The SDK exports this only internally (it is not in
 * its type declarations); if a version ever drops it we assume "secret", which only skips the
 * plain-text check for values that are not in the stack file.
 */
function isSecretKey(key: string): boolean {
    const probe = (pulumi.runtime as unknown as { isConfigSecret?: (k: string) => boolean }).isConfigSecret;
    return probe ? probe(key) : true;
}

/** Pulumi passes structured values as JSON text and plain ones as they are. */
function parseConfigValue(text: string): unknown {
    try {
        return JSON.parse(text);
    } catch {
        return text;
    }
}

/** `Pulumi.<stack>.yaml` in the program's folder (Pulumi runs the program there), as written. */
function readStackFile(project: string, stackName: string): StackFile | undefined {
    const fileName = `Pulumi.${stackName}.yaml`;
    const file = path.join(process.cwd(), fileName);
    if (!fs.existsSync(file)) {
        return undefined;
    }
    const parsed = yaml.load(fs.readFileSync(file, "utf8")) as { config?: Record<string, unknown> } | undefined;
    const values: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(parsed?.config ?? {})) {
        if (key.startsWith(`${project}:`)) {
            values[key.slice(project.length + 1)] = value;
        }
    }
    return { fileName, values };
}
