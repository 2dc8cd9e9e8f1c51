/**
 * The stack's resources from its plan: the images, one PersistentAgent per agent, and the stack's own
 * objects (the alert rules and dashboard, the build namespace). What index.ts exports comes from here.
 */
import * as pulumi from "@pulumi/pulumi";
import type { AgentEndpoints, StackPlan } from "../plan";
import { stackMonitoringObjects } from "../render";
import { PersistentAgent } from "./agent";
import { BuildService } from "./buildService";
import { AgentImages } from "./images";
import { register } from "./register";
import { Waker } from "./waker";

export interface StackOutputs {
    agentEndpoints: Record<string, AgentEndpoints>;
    /** null rather than undefined when disabled: the engine warns on every run about an undefined output. */
    buildServiceNamespace: string | null;
    /** The waker's namespace (platform.suspend.enabled), or null. */
    wakerNamespace: string | null;
}

export function registerStack(plan: StackPlan): StackOutputs {
    for (const warning of plan.warnings) {
        pulumi.log.warn(warning);
    }
    const images = plan.images
        ? new AgentImages("images", {
              plan: plan.images,
              registryPassword: new pulumi.Config().getSecret("registryPassword"),
          })
        : undefined;
    // Once per stack, when enabled: the build namespace and the store of its daemons' certificates (each
    // agent's daemon is one of the agent's resources).
    const buildService = plan.buildService ? new BuildService("build-service", { plan: plan.buildService }) : undefined;
    // Once per stack, when enabled: the waker between kagent and the computers that sleep on idle.
    const waker = plan.waker ? new Waker("waker", { plan: plan.waker, images: images?.refs ?? {} }) : undefined;
    for (const agent of plan.agents) {
        new PersistentAgent(agent.agent, { plan: agent, images: images?.refs ?? {}, buildService, waker });
    }
    // Once per stack: the alert rules and the dashboard (per-agent scrape targets are in each agent's plan).
    if (plan.monitoring) {
        register("monitoring", stackMonitoringObjects(plan.monitoring), {});
    }
    return {
        agentEndpoints: Object.fromEntries(plan.agents.map((agent) => [agent.agent, agent.endpoints])),
        buildServiceNamespace: buildService?.namespace ?? null,
        wakerNamespace: waker?.namespace ?? null,
    };
}
