/**
 * Rules about one agent that span several of its keys: desktop-only settings on a CLI agent, requests
 * within limits, where its secrets come from, and names the API server would refuse.
 */
import type { z } from "zod";
import { type AgentConfig, MAX_AGENT_NAME, MODEL_KEY_FIELD } from "./agentSchema";
import { DEFAULT_RESOURCES, RESOURCES_KEYS } from "./defaults";
import { OWN_PATH, describe } from "./problems";
import * as formats from "./formats";
import { parseQuantity } from "./quantity";
import { MAX_CRONJOB_NAME, namedObjects } from "../contract/names";

type Context = z.RefinementCtx<AgentConfig>;

function problem(ctx: Context, path: PropertyKey[], message: string): void {
    ctx.addIssue({ code: "custom", path, message, input: undefined });
}

export function checkAgent(agent: AgentConfig, ctx: Context): void {
    checkModel(agent, ctx);
    checkDesktopOnlySettings(agent, ctx);
    checkBrowserViewSettings(agent, ctx);
    checkRecording(agent, ctx);
    checkRequestsWithinLimits(agent, ctx);
    checkSecrets(agent, ctx);
    checkBrokeredCredential(agent, ctx);
    checkDerivedNames(agent, ctx);
}

function checkBrokeredCredential(agent: AgentConfig, ctx: Context): void {
    if (agent.credentials.gitea.brokered && !agent.credentials.gitea.enabled) {
        problem(
            ctx,
            ["credentials", "gitea", "brokered"],
            "is set but the agent has no Gitea credential (credentials.gitea.enabled is false); remove one of them",
        );
    }
}

/**
 * kagent's controller copies an Anthropic ModelConfig's maxTokens into the runtime's config, but
 * kagent-adk 0.10.4's Anthropic model has no such field and drops it: refuse what would not apply.
 */
function checkModel(agent: AgentConfig, ctx: Context): void {
    if (agent.model.provider === "Anthropic" && agent.model.maxTokens !== undefined) {
        problem(
            ctx,
            ["model", "maxTokens"],
            "has no effect with provider Anthropic: Kagent 0.10's agent runtime (kagent-adk) ignores it; remove it",
        );
    }
}

function checkDesktopOnlySettings(agent: AgentConfig, ctx: Context): void {
    if (agent.desktop.enabled) {
        return;
    }
    if (agent.desktop.resolution !== undefined) {
        problem(
            ctx,
            ["desktop", "resolution"],
            "is set but the desktop is disabled; remove it or set desktop.enabled to true",
        );
    }
    if (agent.desktop.browserView.enabled) {
        problem(
            ctx,
            ["desktop", "browserView", "enabled"],
            "is true but the desktop is disabled; remove it or set desktop.enabled to true",
        );
    }
    if (agent.desktop.recording.enabled) {
        problem(
            ctx,
            ["desktop", "recording", "enabled"],
            "is true but the desktop is disabled; remove it or set desktop.enabled to true",
        );
    }
    if (agent.network.vncViewers !== undefined) {
        problem(ctx, ["network", "vncViewers"], "is set but the agent has no desktop; remove it");
    }
    for (const role of ["desktop", "computerControl"] as const) {
        if (agent.resources[role] !== undefined) {
            problem(
                ctx,
                ["resources", role],
                "is set but the agent has no desktop (desktop.enabled is false); remove it",
            );
        }
    }
}

/** The recorder and the replay page live in the browser view's container; recordings use the config volume. */
function checkRecording(agent: AgentConfig, ctx: Context): void {
    const recording = agent.desktop.recording;
    if (!recording.enabled || !agent.desktop.enabled) {
        return;
    }
    if (!agent.desktop.browserView.enabled) {
        problem(
            ctx,
            ["desktop", "recording", "enabled"],
            "needs the browser view (the recorder and the replay page run in it); set desktop.browserView.enabled to true",
        );
    }
    const kept = parseQuantity(recording.maxSize);
    const volume = parseQuantity(agent.storage.config);
    if (kept !== undefined && volume !== undefined && kept >= volume) {
        problem(
            ctx,
            ["desktop", "recording", "maxSize"],
            `${recording.maxSize} does not fit in the config volume (storage.config ${agent.storage.config}); lower it or enlarge the volume`,
        );
    }
}

function checkBrowserViewSettings(agent: AgentConfig, ctx: Context): void {
    if (agent.resources.browserView !== undefined && !(agent.desktop.enabled && agent.desktop.browserView.enabled)) {
        problem(
            ctx,
            ["resources", "browserView"],
            "is set but the browser view is off (desktop.browserView.enabled is false); remove it",
        );
    }
}

function checkRequestsWithinLimits(agent: AgentConfig, ctx: Context): void {
    for (const role of RESOURCES_KEYS) {
        const figures = agent.resources[role] ?? DEFAULT_RESOURCES[role];
        for (const measure of ["cpu", "memory"] as const) {
            const request = parseQuantity(figures.requests[measure]) ?? 0;
            const limit = parseQuantity(figures.limits[measure]) ?? Infinity;
            if (request > limit) {
                problem(
                    ctx,
                    ["resources", role, "requests", measure],
                    `${figures.requests[measure]} is above the limit ${figures.limits[measure]}; lower it or raise limits.${measure}`,
                );
            }
        }
    }
}

/** The operator's secret values this agent needs when they come from stack config. */
export function neededSecretKeys(
    agent: AgentConfig,
): { key: keyof AgentConfig["secrets"]; what: string; needed: boolean }[] {
    return [
        { key: MODEL_KEY_FIELD[agent.model.provider], what: `the ${agent.model.provider} API key`, needed: true },
        { key: "giteaToken", what: "Gitea token", needed: agent.credentials.gitea.enabled },
        { key: "harborPassword", what: "Harbor password", needed: agent.credentials.harbor.enabled },
    ];
}

/** Where the operator's secrets come from: as said, or `config` when any value is given. */
export function secretSource(agent: AgentConfig): "vault" | "config" {
    const given = neededSecretKeys(agent).some(({ key }) => agent.secrets[key] !== undefined);
    return agent.secrets.source ?? (given ? "config" : "vault");
}

function checkSecrets(agent: AgentConfig, ctx: Context): void {
    const modelKey = MODEL_KEY_FIELD[agent.model.provider];
    for (const key of Object.values(MODEL_KEY_FIELD).filter((k) => k !== modelKey && agent.secrets[k] !== undefined)) {
        problem(
            ctx,
            ["secrets", key],
            `is for another model provider; the model provider is ${agent.model.provider}, so set ${modelKey}`,
        );
    }
    const source = secretSource(agent);
    for (const { key, what, needed } of neededSecretKeys(agent)) {
        const given = agent.secrets[key] !== undefined;
        if (source === "vault" && given) {
            problem(
                ctx,
                ["secrets", key],
                "is set but secrets.source is vault; remove it, or set secrets.source to config",
            );
        } else if (source === "config" && needed && !given) {
            problem(
                ctx,
                ["secrets", key],
                `missing (${what}, secrets.source is config); set it with pulumi config set --secret --path '${OWN_PATH}' <value>`,
            );
        } else if (source === "config" && !needed && given) {
            problem(
                ctx,
                ["secrets", key],
                `is set but ${what.split(" ")[0]} credentials are disabled for this agent; remove it`,
            );
        }
    }
}

const NAME_RULES = {
    service: formats.dns1035Label,
    subdomain: formats.dnsSubdomain,
    cronJob: (name: string) =>
        name.length > MAX_CRONJOB_NAME
            ? `is ${name.length} characters long; a CronJob's name has at most ${MAX_CRONJOB_NAME} (its Jobs add a suffix)`
            : formats.dnsSubdomain(name),
} as const;

/**
 * Every object named after the agent must take its name (for the longest suffix we add), by the rule
 * of its kind; the name is also a label value on all of them.
 */
function checkDerivedNames(agent: AgentConfig, ctx: Context): void {
    if (formats.dnsLabel(MAX_AGENT_NAME)(agent.name) !== undefined) {
        return; // already reported as it is
    }
    const refused = namedObjects(agent.name)
        .map(({ name, rule, kinds }) => ({ name, kinds, complaint: NAME_RULES[rule](name) }))
        .filter(({ complaint }) => complaint !== undefined);
    const labelComplaint = formats.labelValue(agent.name);
    if (labelComplaint) {
        refused.unshift({ name: agent.name, kinds: "label value", complaint: labelComplaint });
    }
    if (refused.length > 0) {
        const names = refused.map(({ name, kinds }) => `${describe(name)} (${kinds})`).join(", ");
        problem(
            ctx,
            ["name"],
            `${describe(agent.name)} makes names the API server refuses: ${names}: ${refused[0].complaint}`,
        );
    }
}
