/**
 * Secret values must be stored encrypted (`pulumi config set --secret`). Pulumi tells the program only
 * whether a whole top-level key holds some secret, so once one agent's value is `secure:`, every other
 * value under `agents` would pass; the stack file says it per value, so each one is checked there.
 */
import type { AgentConfig } from "./agentSchema";
import { type Problems, formatPath } from "./problems";

/** The stack file as the program found it: its name, and its project keys (prefix removed) as written. */
export interface StackFile {
    fileName: string;
    values: Record<string, unknown>;
}

const SECRET_VALUE_KEYS = [
    "anthropicApiKey",
    "openaiApiKey",
    "giteaToken",
    "harborPassword",
] as const satisfies readonly Exclude<keyof AgentConfig["secrets"], "source">[];

export interface SecretValues {
    agents: AgentConfig[];
    registryPassword?: string;
}

export function checkSecretsEncrypted(
    config: SecretValues,
    isSecret: (key: string) => boolean,
    stackFile: StackFile | undefined,
    problems: Problems,
): void {
    const check = (path: (string | number)[], command: string) => {
        const written = valueAt(stackFile?.values, path);
        const shown = formatPath(path);
        const fix = `remove it and set it with ${command}`;
        if (typeof written === "string" || typeof written === "number" || typeof written === "boolean") {
            problems.add(shown, `is in plain text in ${stackFile?.fileName}; ${fix}`);
        } else if (written === undefined && !isSecret(String(path[0]))) {
            // Not in the stack file (e.g. from an ESC environment): Pulumi's own flag for the key is all there is.
            problems.add(shown, `is in plain text; set it with ${command}`);
        }
    };
    if (config.registryPassword !== undefined) {
        check(["registryPassword"], "pulumi config set --secret registryPassword <value>");
    }
    config.agents.forEach((agent, index) => {
        for (const key of SECRET_VALUE_KEYS) {
            if (agent.secrets[key] !== undefined) {
                const path = ["agents", index, "secrets", key];
                check(path, `pulumi config set --secret --path '${formatPath(path)}' <value>`);
            }
        }
    });
}

function valueAt(root: unknown, path: (string | number)[]): unknown {
    let value = root;
    for (const segment of path) {
        if (value === null || typeof value !== "object") {
            return undefined;
        }
        value = (value as Record<string | number, unknown>)[segment];
    }
    return value;
}
