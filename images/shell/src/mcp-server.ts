import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { Config } from "./config.js";
import type { JobManager } from "./jobs/job-manager.js";
import type { Metrics } from "./metrics.js";
import { ToolRegistry } from "./tool-registry.js";
import { registerCommandTools } from "./tools/commands.js";
import { registerFileTools } from "./tools/files.js";
import { registerJobTools } from "./tools/jobs.js";

export interface ServerContext {
  config: Config;
  jobs: JobManager;
  metrics: Metrics;
}

/** One MCP server per HTTP request (stateless) or per stdio connection; tools share the job manager and metrics. */
export function createMcpServer({ config, jobs, metrics }: ServerContext): McpServer {
  const server = new McpServer(
    { name: "persistent-agents-shell", version: "0.1.0" },
    {
      instructions:
        `Shell of the agent's own computer. Relative paths resolve against the workspace ${config.workspaceDir}, ` +
        "which persists across restarts. Use run_command for short commands and start_job for long ones.",
    },
  );
  const registry = new ToolRegistry(server, metrics);
  registerCommandTools(registry, config);
  registerJobTools(registry, config, jobs);
  registerFileTools(registry, config);
  return server;
}
