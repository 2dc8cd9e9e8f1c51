import { McpServer } from "@modelcontextprotocol/server";
import { AjvJsonSchemaValidator } from "@modelcontextprotocol/server/validators/ajv";
import type { Redactor } from "./audit/redact.js";
import type { AuditTrail } from "./audit/trail.js";
import type { ToolTracing } from "./telemetry.js";
import type { Config } from "./config.js";
import type { JobManager } from "./jobs/job-manager.js";
import type { Metrics } from "./metrics.js";
import type { LoginSnapshot } from "./process/login-snapshot.js";
import { ToolRegistry } from "./tool-registry.js";
import { registerCommandTools } from "./tools/commands.js";
import { registerFileTools } from "./tools/files.js";
import { registerJobTools } from "./tools/jobs.js";

/**
 * One validator for every server: each McpServer otherwise builds its own Ajv instance, which was most
 * of the ~1.5 ms a fresh server per request costs. It only checks elicitation answers (unused here).
 */
const sharedSchemaValidator = new AjvJsonSchemaValidator();

export interface ServerContext {
    config: Config;
    login: LoginSnapshot;
    jobs: JobManager;
    metrics: Metrics;
    audit?: { trail: AuditTrail; redactor: Redactor };
    tracing?: ToolTracing;
}

/**
 * Defines the tools once and returns a maker of MCP servers that carry them: one server per HTTP
 * request (stateless) or per stdio connection; tools share the job manager and metrics.
 */
export function mcpServerFactory({ config, login, jobs, metrics, audit, tracing }: ServerContext): () => McpServer {
    const registry = new ToolRegistry(metrics, audit, tracing);
    registerCommandTools(registry, config, login);
    registerJobTools(registry, config, jobs);
    registerFileTools(registry, config);
    const instructions =
        `Shell of the agent's own computer. Relative paths resolve against the workspace ${config.workspaceDir}, ` +
        "which persists across restarts. Use run_command for short commands and start_job for long ones.";
    return () => {
        const server = new McpServer(
            { name: "persistent-agents-shell", version: "0.1.0" },
            { jsonSchemaValidator: sharedSchemaValidator, instructions },
        );
        registry.registerOn(server);
        return server;
    };
}
