import { mkdir } from "node:fs/promises";
import os from "node:os";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { serveStdio } from "@modelcontextprotocol/server/stdio";
import { Redactor } from "./audit/redact.js";
import { AuditTrail } from "./audit/trail.js";
import { toolTracing } from "./telemetry.js";
import { TokenFile } from "./auth.js";
import { ConfigError, readConfig } from "./config.js";
import { createMetricsServer } from "./http/metrics-server.js";
import { createHttpServer } from "./http/server.js";
import { JobManager } from "./jobs/job-manager.js";
import { log } from "./log.js";
import { mcpServerFactory } from "./mcp-server.js";
import { Metrics } from "./metrics.js";
import { LoginSnapshot } from "./process/login-snapshot.js";
import { commandEnvironment } from "./process/run-command.js";

async function main(): Promise<void> {
    const config = readConfig(process.env, process.argv.slice(2));
    await mkdir(config.workspaceDir, { recursive: true });
    const jobs = new JobManager(config.workspaceDir);
    const metrics = new Metrics(jobs);
    const login = new LoginSnapshot(commandEnvironment({}), os.homedir(), config.workspaceDir);
    login.warm();
    const trail = new AuditTrail({ ...config.audit, server: "shell", disabled: config.audit.dir === "" });
    // The configured secrets: values of the named variables, removed from arguments wherever they appear.
    const secrets = config.audit.redactEnv.map((name) => process.env[name] ?? "").filter(Boolean);
    const redactor = new Redactor(secrets, { maxStringBytes: 2048, maxTotalBytes: 8192 });
    jobs.onJobEvent = ({ command, ...event }) =>
        trail.record({
            time: new Date().toISOString(),
            kind: "job",
            ...event,
            command: redactor.text(command).slice(0, 2048),
        });
    await jobs.recover(); // after the audit hook: jobs that ended while the server was down are recorded too
    const tracing = toolTracing(process.env, "shell", config.audit.agent);
    const newMcpServer = mcpServerFactory({ config, login, jobs, metrics, audit: { trail, redactor }, tracing });

    const shutdown = (signal: string) => {
        log("info", "shutting_down", { signal });
        void jobs
            .terminateAll()
            .then(() => Promise.all([trail.flushed(), tracing?.shutdown()]))
            .finally(() => process.exit(0));
    };
    process.on("SIGTERM", () => shutdown("SIGTERM"));
    process.on("SIGINT", () => shutdown("SIGINT"));

    if (config.transport === "stdio") {
        // Local use (and the benchmark against stdio-only peers): the parent process owns the pipe, no token.
        // Both eras, as over HTTP: a 2025 client's initialize or a 2026-07-28 client's requests.
        serveStdio(newMcpServer);
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

    const server = createHttpServer({
        tokenFile,
        metrics,
        jobs,
        createMcpServer: newMcpServer,
    });
    const metricsServer = createMetricsServer(metrics);
    await Promise.all([
        listen(metricsServer, config.metricsPort, config.host),
        listen(server, config.port, config.host),
    ]);
    log("info", "listening", {
        transport: "http",
        host: config.host,
        port: (server.address() as AddressInfo).port,
        metrics_port: (metricsServer.address() as AddressInfo).port,
        workspace: config.workspaceDir,
    });
}

function listen(server: Server, port: number, host: string): Promise<void> {
    return new Promise((resolve, reject) => {
        server.once("error", reject);
        server.listen(port, host, () => {
            server.off("error", reject);
            resolve();
        });
    });
}

main().catch((error: unknown) => {
    log("error", "startup_failed", { error: error instanceof Error ? error.message : String(error) });
    process.exit(1);
});
