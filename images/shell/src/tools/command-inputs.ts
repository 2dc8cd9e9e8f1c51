import { z } from "zod";
import type { Config } from "../config.js";
import { resolveAgentPath, statExisting } from "../files/paths.js";
import { ToolInputError } from "../tool-result.js";

// Inputs shared by the tools that start processes (run_command, start_job).

export const environmentSchema = z
    .record(z.string(), z.string())
    .optional()
    .describe("Extra environment variables for the command, added to the agent's environment");

export const cwdSchema = z
    .string()
    .optional()
    .describe("Working directory; relative paths resolve against the workspace (default: the workspace)");

export async function resolveWorkingDirectory(config: Config, cwd: string | undefined): Promise<string> {
    const resolved = resolveAgentPath(config.workspaceDir, cwd ?? ".");
    const info = await statExisting("cwd", resolved, "create it first or pass an existing directory");
    if (!info.isDirectory()) throw new ToolInputError(`cwd '${resolved}' is not a directory`);
    return resolved;
}
