import { createServer, type Server } from "node:http";
import { log } from "../log.js";
import type { Metrics } from "../metrics.js";

/**
 * The metrics listener (METRICS_PORT): `GET /metrics` and nothing else, without auth. The NetworkPolicy
 * admits only the Prometheus namespace to this port, never to the MCP port.
 */
export function createMetricsServer(metrics: Metrics): Server {
    return createServer((req, res) => {
        const url = new URL(req.url ?? "/", "http://localhost");
        if (req.method !== "GET" || url.pathname !== "/metrics") {
            res.writeHead(404, { "content-type": "text/plain" }).end("only GET /metrics is served on this port\n");
            return;
        }
        metrics.registry.metrics().then(
            (text) => res.writeHead(200, { "content-type": metrics.registry.contentType }).end(text),
            (error: Error) => {
                log("error", "metrics_failed", { error: error.message });
                res.writeHead(500, { "content-type": "text/plain" }).end("metrics unavailable\n");
            },
        );
    });
}
