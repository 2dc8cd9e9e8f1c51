/**
 * The operations keys: `platform.monitoring`, `platform.backup`, and each agent's `storage.backup` and
 * `storage.restoreFrom` (what components/render/monitoring.ts and components/render/backup.ts build from).
 */
import type { z } from "zod";
import { flag, list, oneOf, port, strictObject, text, wholeNumber } from "./fields";
import * as formats from "./formats";
import { cidrCheck } from "./network";
import { podLabelsSchema } from "./networkSchema";
import type { Problems } from "./problems";

const CRON_FIELDS = [
    { name: "minute", min: 0, max: 59 },
    { name: "hour", min: 0, max: 23 },
    { name: "day of month", min: 1, max: 31 },
    { name: "month", min: 1, max: 12 },
    { name: "day of week", min: 0, max: 6 },
];
const CRON_MACROS = ["@hourly", "@daily", "@weekly", "@monthly", "@yearly", "@annually"];

/**
 * Five numeric cron fields (`*`, `n`, `a-b`, `*\/s`, `a-b/s`, lists) or a macro: what both the CronJob
 * controller and snapscheduler accept, so switching engines never breaks a schedule.
 */
function cronSchedule(schedule: string): string | undefined {
    if (CRON_MACROS.includes(schedule)) {
        return undefined;
    }
    const fields = schedule.trim().split(/\s+/);
    const example =
        "write five fields (minute hour day month weekday), e.g. '0 3 * * *' for 03:00 UTC daily, or @daily";
    if (fields.length !== 5) {
        return `is not a cron schedule: ${example}`;
    }
    for (const [index, field] of fields.entries()) {
        const { name, min, max } = CRON_FIELDS[index];
        for (const part of field.split(",")) {
            const match = /^(\*|(\d+)(?:-(\d+))?)(?:\/(\d+))?$/.exec(part);
            const numbers = match ? [match[2], match[3]].filter((n) => n !== undefined).map(Number) : [];
            if (
                !match ||
                numbers.some((n) => n < min || n > max) ||
                (match[4] !== undefined && Number(match[4]) === 0)
            ) {
                return `has "${part}" as its ${name}: use numbers ${min}-${max}, ranges, steps or *; ${example}`;
            }
        }
    }
    return undefined;
}

const AGE_UNITS: Record<string, number> = { d: 86400, h: 3600, m: 60 };

export function ageSeconds(age: string): number | undefined {
    const match = /^(\d+)(d|h|m)$/.exec(age);
    return match ? Number(match[1]) * AGE_UNITS[match[2]] : undefined;
}

const ageCheck = (age: string) =>
    ageSeconds(age) === undefined || ageSeconds(age) === 0
        ? "is not an age: a positive whole number of days, hours or minutes, e.g. 30d, 12h"
        : undefined;

/** Prometheus durations as the PodMonitor's `interval` takes them. */
const scrapeInterval = (value: string) =>
    /^(\d+(ms|s|m|h))+$/.test(value) ? undefined : "is not a Prometheus duration, e.g. 30s or 1m";

const httpUrl = (value: string) =>
    /^https?:\/\/[^\s/?#]+(\/[^\s?#]*)?$/.test(value)
        ? undefined
        : "is not an http(s) URL of a folder, e.g. https://git.example.com/ops/persistent-agents/src/branch/main/";

export const monitoringSchema = strictObject({
    enabled: flag().default(false).meta({
        description:
            "PodMonitor and metrics NetworkPolicy per agent, a PrometheusRule and a Grafana dashboard (Prometheus Operator CRDs needed)",
    }),
    namespace: text({ check: formats.dnsLabel() }).default("monitoring").meta({
        description:
            "where Prometheus runs (admitted to the metrics ports); the PrometheusRule and the dashboard go there",
    }),
    prometheusPodLabels: podLabelsSchema()
        .default({ "app.kubernetes.io/name": "prometheus" })
        .meta({ description: "the Prometheus pods of that namespace that may scrape the computers" }),
    selectorLabels: podLabelsSchema().default({ release: "kube-prometheus-stack" }).meta({
        description:
            "labels on the PodMonitors and the PrometheusRule, as the Prometheus's podMonitorSelector and ruleSelector want",
    }),
    scrapeInterval: text({ check: scrapeInterval }).default("30s"),
    otlpEndpoint: text({
        check: formats.serviceUrl,
        hint: "the collector's OTLP/HTTP base URL, e.g. pulumi config set --path platform.monitoring.otlpEndpoint http://otel-collector.monitoring.svc.cluster.local:4318",
    })
        .optional()
        .meta({
            description:
                "OpenTelemetry: both MCP servers send a span per tool call there over OTLP/HTTP (unset: no tracing, no cost); an in-cluster Service URL (`<service>.<namespace>.svc[.cluster.local]:<port>`) also opens the computers' egress to that namespace and port",
        }),
    runbookBaseUrl: text({ check: httpUrl }).optional().meta({
        description:
            "prefix of the alerts' runbook links (repository-relative, docs/runbook.md#…); unset: left relative",
    }),
    dashboard: strictObject({
        enabled: flag().default(true),
        namespace: text({ check: formats.dnsLabel() })
            .optional()
            .meta({ description: "where Grafana's sidecar looks; default monitoring.namespace" }),
        labels: podLabelsSchema()
            .default({ grafana_dashboard: "1" })
            .meta({ description: "the label Grafana's dashboard sidecar selects" }),
    }).prefault({}),
}).prefault({});

export const backupPlatformSchema = strictObject(
    {
        engine: oneOf(["cronjob", "snapscheduler"]).default("cronjob").meta({
            description:
                "`cronjob`: a CronJob of ours per agent; `snapscheduler`: a backube SnapshotSchedule (the operator must be installed)",
        }),
    },
    { apiServer: "platform.apiServer" },
).prefault({});

/** The API server's addresses, for the stack's pods that call it under default-deny egress. */
export const apiServerSchema = strictObject({
    cidrs: list(text({ check: cidrCheck }))
        .default([])
        .meta({
            description:
                "the API server's addresses the stack's pods that call it may reach (the backup CronJob, the waker): the kubernetes Service's ClusterIP and endpoints",
        }),
    ports: list(port()).default([443, 6443]),
}).prefault({});

export const agentBackupSchema = strictObject({
    schedule: text({
        check: cronSchedule,
        hint: "e.g. pulumi config set --path 'agents[0].storage.backup.schedule' '0 3 * * *'",
    }).meta({ description: "cron schedule (UTC) of the workspace snapshots" }),
    retention: strictObject({
        count: wholeNumber(1, 1000).optional().meta({ description: "keep at most this many snapshots" }),
        maxAge: text({ check: ageCheck })
            .optional()
            .meta({ description: "delete snapshots older than this, e.g. 30d" }),
    }).superRefine((retention, ctx) => {
        if (retention.count === undefined && retention.maxAge === undefined) {
            ctx.addIssue({
                code: "custom",
                message:
                    "needs count, maxAge or both, e.g. {count: 7, maxAge: 30d}; without them snapshots pile up forever",
                input: retention,
            });
        }
    }),
    volumeSnapshotClass: text({
        check: formats.dnsSubdomain,
        hint: "the VolumeSnapshotClass of the claims' CSI driver (kubectl get volumesnapshotclass)",
    }),
    pauseJobs: flag().default(false).meta({
        description:
            "pause the shell's jobs until the snapshot is cut (the backup pod then holds the MCP token; cronjob engine only)",
    }),
})
    .optional()
    .meta({ description: "scheduled CSI snapshots of the workspace claim" });

export const restoreFromSchema = text({ check: formats.dnsSubdomain }).optional().meta({
    description:
        "a VolumeSnapshot of the agent's namespace the workspace claim is created from (only when the claim is created)",
});

export type BackupPlatformConfig = z.output<typeof backupPlatformSchema>;
export type ApiServerConfig = z.output<typeof apiServerSchema>;
export type AgentBackupConfig = NonNullable<z.output<typeof agentBackupSchema>>;

/**
 * The CronJob engine needs somewhere to send its API calls (an empty peer list would open every address),
 * and only it can run the pause hook.
 */
export function checkBackupPlatform(
    agents: { storage: { backup?: AgentBackupConfig } }[],
    backup: BackupPlatformConfig,
    apiServer: ApiServerConfig,
    problems: Problems,
): void {
    const first = agents.findIndex((agent) => agent.storage.backup !== undefined);
    if (first >= 0 && backup.engine === "cronjob" && apiServer.cidrs.length === 0) {
        problems.add(
            "platform.apiServer.cidrs",
            `is empty, but agents[${first}].storage.backup needs the backup pod to reach the API server; list its addresses ` +
                "(kubectl get endpointslice -n default -l kubernetes.io/service-name=kubernetes), or use platform.backup.engine snapscheduler",
        );
    }
    if (backup.engine === "snapscheduler") {
        agents.forEach((agent, index) => {
            if (agent.storage.backup?.pauseJobs) {
                problems.add(
                    `agents[${index}].storage.backup.pauseJobs`,
                    "needs platform.backup.engine cronjob: snapscheduler runs no hook before a snapshot; remove it or switch engines",
                );
            }
        });
    }
}
