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
    if (count > 0 && config.allowNoAgents) {
        ctx.addIssue({
            code: "custom",
            path: ["allowNoAgents"],
            input: true,
            message: `is true but ${count} agent${count === 1 ? " is" : "s are"} listed; remove it, so that losing the list is an error again`,
        });
    }
});
