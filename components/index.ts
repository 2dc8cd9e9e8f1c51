export { PersistentAgent, PersistentAgentArgs } from "./resources/agent";
export { AgentImages, AgentImagesArgs } from "./resources/images";
export { AgentPlan, planAgent } from "./plan";
export * from "./config";
