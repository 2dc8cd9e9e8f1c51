/** `renderStack`: every object of the stack from its plan (what tests/golden's render.yaml shows). */
import type { StackPlan } from "../plan/types";
import { type AgentObjects, renderAgent } from "./agent";
import { type BuildServiceObjects, buildServiceObjects } from "./buildService";
import { stackMonitoringObjects } from "./monitoring";
import type { ImageRefs, Rendered } from "./objects";
import { type WakerObjects, wakerObjects } from "./waker";

export interface StackObjects {
    agents: Record<string, AgentObjects>;
    /** The alert rules and the dashboard. */
    monitoring: Rendered[];
    buildService?: BuildServiceObjects;
    waker?: WakerObjects;
}

export function renderStack(plan: StackPlan, images: ImageRefs): StackObjects {
    return {
        agents: Object.fromEntries(plan.agents.map((agent) => [agent.agent, renderAgent(agent, images)])),
        monitoring: plan.monitoring ? stackMonitoringObjects(plan.monitoring) : [],
        buildService: plan.buildService && buildServiceObjects(plan.buildService),
        waker: plan.waker && wakerObjects(plan.waker, images),
    };
}
