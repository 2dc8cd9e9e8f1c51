/**
 * The pack's policies. Importing this module starts nothing: only ../index.ts constructs the PolicyPack.
 */
import type { Policies } from "@pulumi/policy";
import { mcpServicesCoveredByNetworkPolicy } from "./network";
import { computerPodsWithoutServiceAccountToken, noPrivilegedContainers, noRootContainers } from "./podSecurity";
import { containerResources } from "./resources";
import { noSecretLiteralsInEnv } from "./secrets";
import { claimsRetained } from "./storage";

export { mcpServicesCoveredByNetworkPolicy } from "./network";
export { computerPodsWithoutServiceAccountToken, noPrivilegedContainers, noRootContainers } from "./podSecurity";
export { containerResources } from "./resources";
export { noSecretLiteralsInEnv } from "./secrets";
export { claimsRetained } from "./storage";

export const policies: Policies = [
    noPrivilegedContainers,
    noRootContainers,
    containerResources,
    noSecretLiteralsInEnv,
    mcpServicesCoveredByNetworkPolicy,
    claimsRetained,
    computerPodsWithoutServiceAccountToken,
];

/** The SDK's types, for tests that drive the policies the way the analyzer does. */
export type {
    Policies,
    PolicyResource,
    PolicyResourceOptions,
    ReportViolation,
    ResourceValidation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
} from "@pulumi/policy";
