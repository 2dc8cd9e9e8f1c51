export { PersistentAgent, PersistentAgentArgs } from "./agent";
export { AgentImages, AgentImagesArgs } from "./images";
export * from "./config";
