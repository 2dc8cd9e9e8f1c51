/**
 * persistent-agents: every agent in the stack config becomes a kagent Agent with a computer of its own.
 * Data flows one way: stack config -> validated specs -> one plan per agent -> resources.
 */
import * as pulumi from "@pulumi/pulumi";
import { AgentImages, ImageName, IMAGE_NAMES, PersistentAgent, planAgent, readStackConfig } from "./components";
import { BuildService } from "./components/resources/buildService";
import { dashboardConfigMap, prometheusRule } from "./components/render/monitoring";
import { COMPUTER_POD_LABELS } from "./components/contract/labels";
import { registerObject } from "./components/resources/register";

// Validates the whole config first: on any problem, preview fails listing all of them, before any
// resource is registered.
const { platform, agents } = readStackConfig();
const plans = agents.map((agent) => planAgent(agent, platform));

// Built once per stack: the images some agent's plan names.
const needed = new Set<ImageName>(IMAGE_NAMES.filter((image) => plans.some((plan) => plan.images.includes(image))));
const images =
    plans.length === 0
        ? undefined
        : new AgentImages("images", {
              registry: platform.registry,
              repository: platform.imageRepository,
              spec: platform.images,
              needed,
              sudo: plans.some((plan) => plan.computer.passwordlessSudo),
              registryPassword: new pulumi.Config().getSecret("registryPassword"),
          });

const deployed = plans.map((plan) => new PersistentAgent(plan.agent, { plan, platform, images: images?.refs ?? {} }));

// Once per stack: the alert rules and the dashboard (per-agent scrape targets are in each agent's plan).
if (platform.monitoring.enabled) {
    registerObject("monitoring-rules", prometheusRule(platform.monitoring), {});
    if (platform.monitoring.dashboard.enabled) {
        registerObject("monitoring-dashboard", dashboardConfigMap(platform.monitoring), {});
    }
}

// Once per stack, when enabled: the BuildKit daemon agents build and push images on (`buildctl --addr`).
const buildService = platform.buildService.enabled
    ? new BuildService("build-service", {
          namespace: platform.buildService.namespace,
          clientPodLabels: COMPUTER_POD_LABELS,
      })
    : undefined;
// null rather than undefined when disabled: the engine warns on every run about an undefined output.
export const buildServiceAddress = buildService?.address ?? null;

export const agentEndpoints = Object.fromEntries(
    deployed.map((agent, index) => [
        plans[index].agent,
        {
            namespace: agent.namespace,
            serviceHost: agent.serviceHost,
            vncEndpoint: agent.vncEndpoint,
            mcpUrls: agent.mcpUrls,
            vaultPaths: agent.vaultPaths,
            // Only for agents with a browser view: its URL, its mode, and the port-forward for clusters without a route.
            ...(plans[index].browserView ? { browserView: agent.browserView } : {}),
        },
    ]),
);
