/**
 * persistent-agents: every agent in the stack config becomes a kagent Agent with a computer of its own.
 * Data flows one way: stack config -> validated specs -> plans -> objects -> resources
 * (docs/architecture.md, "How the program is built").
 */
import { compileStack } from "./components/plan";
import { readRawStackConfig } from "./components/resources/stackConfig";
import { registerStack } from "./components/resources/stack";

// Validates and plans the whole config first: on any problem, preview fails listing all of them, before
// any resource is registered.
const outputs = registerStack(compileStack(readRawStackConfig()));

export const agentEndpoints = outputs.agentEndpoints;
export const buildServiceNamespace = outputs.buildServiceNamespace;
export const wakerNamespace = outputs.wakerNamespace;
