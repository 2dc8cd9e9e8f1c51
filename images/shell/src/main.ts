import { mkdir } from "node:fs/promises";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { TokenFile } from "./auth.js";
import { ConfigError, readConfig } from "./config.js";
import { createHttpServer } from "./http.js";
import { JobManager } from "./jobs/job-manager.js";
import { log } from "./log.js";
import { createMcpServer } from "./mcp-server.js";
import { Metrics } from "./metrics.js";

async function main(): Promise<void> {
  const config = readConfig(process.env, process.argv.slice(2));
  await mkdir(config.workspaceDir, { recursive: true });
  const jobs = new JobManager(config.workspaceDir);
  await jobs.recover();
  const metrics = new Metrics(() => jobs.runningCount);
  const context = { config, jobs, metrics };

  const shutdown = (signal: string) => {
    log("info", "shutting_down", { signal });
    jobs.terminateAll();
    process.exit(0);
  };
  process.on("SIGTERM", () => shutdown("SIGTERM"));
  process.on("SIGINT", () => shutdown("SIGINT"));

  if (config.transport === "stdio") {
    // Local use (and the benchmark against stdio-only peers): the parent process owns the pipe, no token.
    await createMcpServer(context).connect(new StdioServerTransport());
    log("info", "listening", { transport: "stdio", workspace: config.workspaceDir });
    return;
  }

  let tokenFile: TokenFile | undefined;
  if (config.authTokenFile) {
    tokenFile = new TokenFile(config.authTokenFile);
    await tokenFile.load().catch((error: Error) => {
      throw new ConfigError(`cannot read MCP_AUTH_TOKEN_FILE: ${error.message}`);
    });
  } else if (!config.allowUnauthenticated) {
    throw new ConfigError(
      "MCP_AUTH_TOKEN_FILE is not set; point it at a file holding the bearer token, " +
        "or set MCP_ALLOW_UNAUTHENTICATED=1 to run without authentication",
    );
  } else {
    log("warn", "authentication_disabled", { reason: "MCP_ALLOW_UNAUTHENTICATED=1" });
  }

  const server = createHttpServer({ tokenFile, metrics, createMcpServer: () => createMcpServer(context) });
  server.listen(config.port, config.host, () => {
    const address = server.address();
    const port = typeof address === "object" && address ? address.port : config.port;
    log("info", "listening", { transport: "http", host: config.host, port, workspace: config.workspaceDir });
  });
}

main().catch((error: unknown) => {
  log("error", "startup_failed", { error: error instanceof Error ? error.message : String(error) });
  process.exit(1);
});
