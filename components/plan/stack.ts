/**
 * `planStack`: what the whole stack is made of, decided once from the validated config: each agent's
 * plan, the images to build for them, and the stack's own services (the BuildKit daemon, the alert rules
 * and dashboard). `compileStack` is the whole compiler front: config -> specs -> plans, with the checks
 * that need the plan's own figures (the quota sums against the API server's bound).
 */
import { ConfigError, type RawStackConfig, type StackConfig, validateStackConfig } from "../config";
import { checkQuotaTotals } from "../config/quotaBounds";
import { IMAGE_NAMES } from "../contract/images";
import { planAgent } from "./agent";
import { planBuildService } from "./buildService";
import { planImageBuild } from "./images";
import { planStackMonitoring } from "./monitoring";
import type { AgentPlan, ImageBuildPlan, ImageName, ImagesPlan, StackPlan } from "./types";
import { planWaker, planWakerService } from "./waker";

export function planStack(config: StackConfig): StackPlan {
    const { platform } = config;
    const buildService = planBuildService(platform);
    const wakerService = planWakerService(platform);
    const agents = config.agents.map((agent) => planAgent(agent, platform, { buildService, waker: wakerService }));
    const waker =
        wakerService &&
        planWaker(
            wakerService,
            agents.flatMap((agent) =>
                agent.sleep ? [{ agent: agent.agent, namespace: agent.namespace.name, sleep: agent.sleep }] : [],
            ),
            platform,
        );
    return {
        agents,
        images: planImages(config, agents, waker !== undefined),
        monitoring: planStackMonitoring(platform.monitoring),
        buildService,
        waker,
        warnings: agents.flatMap((agent, index) =>
            (agent.backup?.warnings ?? []).map((warning) => `agents[${index}].${warning}`),
        ),
    };
}

/** Built once per stack: the images some agent's plan names, with sudo baked in when some agent has it. */
function planImages({ platform }: StackConfig, agents: AgentPlan[], waker: boolean): ImagesPlan | undefined {
    if (agents.length === 0) {
        return undefined;
    }
    const needed = IMAGE_NAMES.filter(
        (image) => (image === "waker" && waker) || agents.some((agent) => agent.images.includes(image)),
    );
    const sudo = agents.some((agent) => agent.computer.passwordlessSudo);
    const images = platform.images;
    return {
        registry: platform.registry,
        repository: platform.imageRepository,
        needed,
        builds: Object.fromEntries(
            needed
                .filter((image) => images.prebuilt[image] === undefined)
                .map((image) => [image, planImageBuild(image, sudo)]),
        ) as Partial<Record<ImageName, ImageBuildPlan>>,
        prebuilt: images.prebuilt,
        platforms: images.platforms,
        tag: images.tag,
        registryUsername: images.registryUsername,
    };
}

/**
 * The config, validated and planned: throws one ConfigError with every problem, those the plan's
 * figures show included.
 */
export function compileStack(raw: RawStackConfig): StackPlan {
    const { config, problems } = validateStackConfig(raw);
    if (config === undefined) {
        throw new ConfigError(problems.list);
    }
    const plan = planStack(config);
    plan.agents.forEach((agent, index) => {
        checkQuotaTotals(agent.quota.totals, index, problems);
    });
    if (problems.any) {
        throw new ConfigError(problems.list);
    }
    return plan;
}
