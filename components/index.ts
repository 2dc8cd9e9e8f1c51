export { PersistentAgent, PersistentAgentArgs } from "./agent";
export { AgentImages, AgentImagesArgs } from "./images";
export { AgentPlan, planAgent } from "./plan";
export * from "./config";
