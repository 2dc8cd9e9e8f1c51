import { z } from "zod";
import type { Config } from "../config.js";
import type { LoginSnapshot } from "../process/login-snapshot.js";
import { runCommand } from "../process/run-command.js";
import type { ToolRegistry } from "../tool-registry.js";
import { structuredResult, toolError } from "../tool-result.js";
import { cwdSchema, environmentSchema, resolveWorkingDirectory } from "./command-inputs.js";

const commandOutcomeShape = {
    exit_code: z.number().int().nullable().describe("Exit status, null when a signal ended the command"),
    signal: z.string().nullable().describe("Signal that ended the command, e.g. SIGKILL"),
    stdout: z.string(),
    stderr: z.string(),
    stdout_bytes: z.number().int().describe("Bytes the command wrote to stdout, kept or not"),
    stderr_bytes: z.number().int(),
    truncated: z.boolean().describe("True when output was cut to the cap (head and tail kept)"),
    timed_out: z.boolean(),
    duration_ms: z.number(),
};

export function registerCommandTools(registry: ToolRegistry, config: Config, login: LoginSnapshot): void {
    registry.define({
        name: "run_command",
        description:
            "Run a shell command with bash, in the environment, functions and aliases the login files set up " +
            "(captured once, refreshed when a startup file changes), and wait for it. Returns exit code, signal, stdout, stderr " +
            `and duration. Each stream keeps at most ${config.outputCapBytes} bytes once JSON-escaped (head and tail; ` +
            "`truncated` says when bytes were dropped). On timeout the whole process group is killed. " +
            "For work longer than a couple of minutes use start_job instead.",
        inputSchema: {
            command: z.string().min(1).describe("The command line, interpreted by bash"),
            cwd: cwdSchema,
            timeout_seconds: z
                .number()
                .positive()
                .optional()
                .describe(
                    `Kill the command after this many seconds (default 120, at most ${config.maxCommandTimeoutSeconds})`,
                ),
            env: environmentSchema,
        },
        outputSchema: commandOutcomeShape,
        annotations: { destructiveHint: true, openWorldHint: true },
        handler: async ({ command, cwd, timeout_seconds, env }) => {
            const timeoutSeconds = timeout_seconds ?? 120;
            if (timeoutSeconds > config.maxCommandTimeoutSeconds) {
                return toolError(
                    `run_command: timeout_seconds ${timeoutSeconds} exceeds the maximum of ${config.maxCommandTimeoutSeconds}; ` +
                        "pass a smaller value or use start_job for long-running work",
                );
            }
            const outcome = await runCommand({
                launch: await login.launch(command, env ?? {}),
                cwd: await resolveWorkingDirectory(config, cwd),
                timeoutMs: timeoutSeconds * 1000,
                outputCapBytes: config.outputCapBytes,
            });
            if (outcome.timed_out) {
                const result = structuredResult({ ...outcome });
                return {
                    isError: true,
                    content: [
                        {
                            type: "text",
                            text:
                                `run_command: timed out after ${timeoutSeconds} s; the process group was killed. ` +
                                "Raise timeout_seconds or use start_job for long-running work. Output so far:",
                        },
                        ...result.content,
                    ],
                };
            }
            return structuredResult({ ...outcome });
        },
    });
}
