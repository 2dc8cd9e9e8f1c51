/**
 * Reads the running program's stack config for the compiler (config/ validates it, plan/ plans it):
 * every key under the project's namespace, whether Pulumi holds it as a secret, and the stack file as
 * written (where plain-text secrets are told apart per value).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import * as yaml from "js-yaml";
import type { RawStackConfig, StackFile } from "../config";

/** The config of the running Pulumi program: every key under the project's namespace, as set. */
export function readRawStackConfig(): RawStackConfig {
    const project = pulumi.getProject();
    const stackName = pulumi.getStack();
    const prefix = `${project}:`;
    const values: Record<string, unknown> = {};
    for (const [key, text] of Object.entries(pulumi.runtime.allConfig())) {
        if (key.startsWith(prefix)) {
            values[key.slice(prefix.length)] = parseConfigValue(text);
        }
    }
    return {
        values,
        isSecret: (key) => isSecretKey(`${prefix}${key}`),
        stackFile: readStackFile(project, stackName),
        stackName,
    };
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
