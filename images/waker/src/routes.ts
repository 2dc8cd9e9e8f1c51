/**
 * The waker's routes file (mounted from the stack's ConfigMap, written by components/render/waker.ts):
 * which agents it sleeps and wakes, where their servers are, and for how long they may idle. Declared once
 * here; the stack's plan produces exactly this shape (tests/waker.test.ts reads the rendered file with it).
 */
import { readFileSync } from "node:fs";
import { z } from "zod";

/** The servers a request may name: `/agents/<agent>/<server>/<path>` (the containers' names). */
export const SERVER_NAMES = ["shell", "computer-control"] as const;
export type ServerName = (typeof SERVER_NAMES)[number];

const baseUrl = z
    .url({ protocol: /^https?$/ })
    .refine((url) => !url.endsWith("/"), "must not end with /: paths are appended to it");

const agentRoute = z.strictObject({
    name: z.string().regex(/^[a-z][a-z0-9-]*$/),
    namespace: z.string().min(1),
    /** The computer's Deployment, which the waker scales between 0 and 1. */
    deployment: z.string().min(1),
    /** No call, no job, no viewer for this long: the computer sleeps. */
    idleAfterSeconds: z.number().int().positive(),
    /** A call that wakes the computer waits this long for it at most, then gets an error. */
    wakeTimeoutSeconds: z.number().int().positive(),
    /** The agent's Secret and the key holding its MCP bearer token (the same the servers check). */
    token: z.strictObject({ secret: z.string().min(1), key: z.string().min(1) }),
    /** Base URLs (the computer's Service) of the servers this agent has. */
    servers: z.partialRecord(
        z.enum(SERVER_NAMES),
        z.strictObject({ url: baseUrl, health: z.string().startsWith("/") }),
    ),
    /** The shell server's metrics (`shell_jobs_running`): a running job keeps the computer awake. */
    jobsMetricsUrl: z.url(),
    /**
     * The agent's browser view (its base URL), for an agent with one: served at `/agents/<agent>/view/`, so a
     * visit wakes the computer, and asked `/activity` (`{"viewers": n}`): a connected viewer keeps it awake.
     * `host`: the Host its Ingress sends (platform.browserView.host); a request with that Host is the view's,
     * whatever its path, so the Ingress reaches the view and nothing else of the waker.
     */
    view: z
        .strictObject({
            url: baseUrl,
            host: z
                .string()
                .regex(/^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/, "a lower-case host name, no port")
                .optional(),
        })
        .optional(),
});
export type AgentRoute = z.infer<typeof agentRoute>;

export const routesSchema = z.strictObject({
    agents: z
        .array(agentRoute)
        .refine((agents) => new Set(agents.map((a) => a.name)).size === agents.length, {
            message: "agent names must be unique",
        })
        .refine(
            (agents) => {
                const hosts = agents.flatMap((a) => (a.view?.host ? [a.view.host] : []));
                return new Set(hosts).size === hosts.length;
            },
            { message: "view hosts must be unique: one origin per agent" },
        ),
});
export type Routes = z.infer<typeof routesSchema>;

/** Reads and checks the routes file; an invalid file stops the waker with the fields named. */
export function loadRoutes(path: string): Routes {
    let raw: unknown;
    try {
        raw = JSON.parse(readFileSync(path, "utf8"));
    } catch (error) {
        throw new Error(`waker: cannot read the routes file ${path}: ${(error as Error).message}`);
    }
    const parsed = routesSchema.safeParse(raw);
    if (!parsed.success) {
        const problems = parsed.error.issues.map((issue) => `${issue.path.join(".") || "(root)"}: ${issue.message}`);
        throw new Error(`waker: the routes file ${path} is invalid:\n  ${problems.join("\n  ")}`);
    }
    return parsed.data;
}
