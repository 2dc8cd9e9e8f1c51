import { z } from "zod";
import type { Config } from "../config.js";
import type { JobManager } from "../jobs/job-manager.js";
import { JobRecordSchema } from "../jobs/journal.js";
import type { ToolRegistry } from "../tool-registry.js";
import { structuredResult } from "../tool-result.js";
import { cwdSchema, environmentSchema, resolveWorkingDirectory } from "./command-inputs.js";

const jobIdSchema = z.string().min(1).describe("A job id returned by start_job or list_jobs");
const MAX_READ_BYTES = 1024 * 1024;

const jobViewShape = {
    ...JobRecordSchema.shape,
    output_bytes: z.number().int().describe("Size of the job's output log"),
};
const jobStateSchema = JobRecordSchema.shape.state;

export function registerJobTools(registry: ToolRegistry, config: Config, jobs: JobManager): void {
    registry.define({
        name: "start_job",
        description:
            "Start a long-running command in the background (`bash -lc`, own process group) and return its job id " +
            "at once. Output (stdout and stderr interleaved) goes to a log under <workspace>/.agent/jobs/<id>/ " +
            "that survives server and pod restarts. Poll with job_status and read_job_output.",
        inputSchema: {
            command: z.string().min(1).describe("The command line, interpreted by bash"),
            cwd: cwdSchema,
            env: environmentSchema,
        },
        outputSchema: { job_id: z.string(), state: jobStateSchema, pid: z.number().int().nullable() },
        annotations: { destructiveHint: true, openWorldHint: true },
        handler: async ({ command, cwd, env }) => {
            const record = await jobs.start(command, await resolveWorkingDirectory(config, cwd), env ?? {});
            return structuredResult({ job_id: record.id, state: record.state, pid: record.pid });
        },
    });

    registry.define({
        name: "job_status",
        description: "State of a job (running, exited, killed, interrupted), exit code and output size in bytes.",
        inputSchema: { job_id: jobIdSchema },
        outputSchema: jobViewShape,
        annotations: { readOnlyHint: true },
        handler: async ({ job_id }) => structuredResult({ ...(await jobs.view(job_id)) }),
    });

    registry.define({
        name: "read_job_output",
        description:
            "Read a job's output from byte `offset` (default 0). Returns the text and `next_offset`: pass it back " +
            "to read only what is new. `eof` is true when everything written so far has been read.",
        inputSchema: {
            job_id: jobIdSchema,
            offset: z.number().int().min(0).optional().describe("Byte offset to start reading at (default 0)"),
            max_bytes: z
                .number()
                .int()
                .positive()
                .max(MAX_READ_BYTES)
                .optional()
                .describe(`Most bytes to return (default 65536, at most ${MAX_READ_BYTES})`),
        },
        outputSchema: {
            job_id: z.string(),
            state: jobStateSchema,
            offset: z.number().int(),
            next_offset: z.number().int().describe("Pass back as offset to read on"),
            total_bytes: z.number().int(),
            eof: z.boolean(),
            output: z.string(),
        },
        annotations: { readOnlyHint: true },
        handler: async ({ job_id, offset, max_bytes }) =>
            structuredResult(await jobs.readOutput(job_id, offset ?? 0, max_bytes ?? 65536)),
    });

    registry.define({
        name: "kill_job",
        description: "Stop a running job: SIGTERM to its whole process group, SIGKILL after 3 s if it lingers.",
        inputSchema: { job_id: jobIdSchema },
        outputSchema: jobViewShape,
        annotations: { destructiveHint: true },
        handler: async ({ job_id }) => structuredResult({ ...(await jobs.kill(job_id)) }),
    });

    registry.define({
        name: "list_jobs",
        description:
            "Every job known in this workspace, oldest first, including those from before a restart. `quarantined` " +
            "lists journal entries that were invalid at startup, moved to <workspace>/.agent/jobs-quarantine/.",
        inputSchema: {},
        outputSchema: {
            jobs: z.array(z.object(jobViewShape)),
            quarantined: z.array(z.object({ folder: z.string(), reason: z.string() })),
        },
        annotations: { readOnlyHint: true },
        handler: async () => structuredResult({ jobs: await jobs.list(), quarantined: jobs.quarantined }),
    });
}
