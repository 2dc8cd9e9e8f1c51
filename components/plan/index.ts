/**
 * The compiler's middle: every decision about the stack, as plain data (docs/architecture.md, "How the
 * program is built"). `compileStack` validates and plans a stack config; `planAgent` plans one agent.
 */
export { planAgent } from "./agent";
export { compileStack, planStack } from "./stack";
export type * from "./types";
