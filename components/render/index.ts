/**
 * The compiler's back end: plans (components/plan) as Kubernetes objects. Pure functions; nothing here
 * registers a resource or reads config (components/resources does both).
 */
export { renderAgent } from "./agent";
export { buildServiceObjects } from "./buildService";
export { wakerObjects } from "./waker";
export { stackMonitoringObjects } from "./monitoring";
export type { ImageRefs, KubernetesObject, Rendered } from "./objects";
export { renderStack, type StackObjects } from "./stack";
