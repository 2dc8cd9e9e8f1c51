/**
 * The stack config, declared once: every key under the project's namespace (`persistent-agents:`),
 * its type, default, rule and the description the README's configuration reference is generated from.
 */
import type { z } from "zod";
import { checkAgent } from "./agentRules";
import { agentFields } from "./agentSchema";
import { flag, list, strictObject, text } from "./fields";
import { platformSchema } from "./platformSchema";

export const stackConfigSchema = strictObject({
    platform: platformSchema
        .prefault({} as z.input<typeof platformSchema>)
        .meta({ description: "one object, shared by all agents" }),
    agents: list(agentFields.superRefine(checkAgent)).optional().meta({ description: "the agents; each entry below" }),
    allowNoAgents: flag()
        .default(false)
        .meta({ description: "`true` lets `agents` be empty or missing, which deletes every agent of the stack" }),
    registryPassword: text()
        .optional()
        .meta({ description: "with --secret only: password of `platform.images.registryUsername` for pushes" }),
}).superRefine((config, ctx) => {
    const count = config.agents?.length ?? 0;
    if (count === 0 && !config.allowNoAgents) {
        ctx.addIssue({
            code: "custom",
            path: ["agents"],
            input: config.agents,
            message:
                `${config.agents === undefined ? "missing" : "is empty"}, which deletes every agent of the stack; ` +
                "add an agent (pulumi config set --path 'agents[0].name' devbot), or if that is meant, pulumi config set allowNoAgents true",
        });
    }
    // The two only work together: a user without the password silently pushed with whatever `docker login`
    // the machine running Pulumi had, and a password without a user is never used.
    const username = config.platform.images.registryUsername;
    if (username !== undefined && config.registryPassword === undefined) {
        ctx.addIssue({
            code: "custom",
            path: ["platform", "images", "registryUsername"],
            input: username,
            message:
                "is set but the secret registryPassword is not, so the pushes would use the ambient docker login instead; " +
                "set it with pulumi config set --secret registryPassword <password>, or remove registryUsername to push with docker login",
        });
    }
    if (username === undefined && config.registryPassword !== undefined) {
        ctx.addIssue({
            code: "custom",
            path: ["registryPassword"],
            input: undefined,
            message:
                "is set but platform.images.registryUsername is not, so nothing uses it; set the user " +
                "(pulumi config set --path platform.images.registryUsername <user>) or remove registryPassword",
        });
    }
    // An agent that would sleep needs the waker: without it nothing would wake the computer again.
    if (!config.platform.suspend.enabled) {
        const fix =
            "needs the waker, which wakes a sleeping computer on the next call: " +
            "pulumi config set --path platform.suspend.enabled true, or remove idleAfter";
        const platformDefault = config.platform.suspend.idleAfter;
        if (platformDefault !== undefined && platformDefault !== "never") {
            ctx.addIssue({
                code: "custom",
                path: ["platform", "suspend", "idleAfter"],
                input: platformDefault,
                message: fix,
            });
        }
        (config.agents ?? []).forEach((agent, index) => {
            const own = agent.suspend.idleAfter;
            if (own !== undefined && own !== "never") {
                ctx.addIssue({
                    code: "custom",
                    path: ["agents", index, "suspend", "idleAfter"],
                    input: own,
                    message: fix,
                });
            }
        });
    }
    if (count > 0 && config.allowNoAgents) {
        ctx.addIssue({
            code: "custom",
            path: ["allowNoAgents"],
            input: true,
            message: `is true but ${count} agent${count === 1 ? " is" : "s are"} listed; remove it, so that losing the list is an error again`,
        });
    }
});
