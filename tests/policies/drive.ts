/**
 * Drives the policy pack's policies the way the policy SDK's analyzer does, over resources recorded by
 * the mocked program run (tests/harness/program.ts), and collects what they report.
 */
import type {
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationPolicy,
} from "../../policies/rules";
import type { RegisteredResource } from "../harness/program";

/** A resource as the tests hand it to a policy: what the program registered, or a hand-made object. */
export interface PolicyInput {
    type: string;
    name: string;
    urn: string;
    props: Record<string, any>;
    protect: boolean;
    /** Visible to policies only in `withRetainOnDelete` mode: the engine does not send it. */
    retainOnDelete: boolean;
    parent?: string;
    dependencies: string[];
}

export interface Violation {
    policy: string;
    /** The resource the violation is about: the validated one, or what a stack policy named. */
    urn: string;
    message: string;
}

/**
 * How options reach a policy. "engine": exactly the fields the policy SDK fills from the analyzer request
 * (no retainOnDelete, which AnalyzerResourceOptions lacks). "withRetainOnDelete": the same plus
 * retainOnDelete, as a future engine could send it and as the mocked run records it.
 */
export type OptionsView = "engine" | "withRetainOnDelete";

export function fromRegistered(resource: RegisteredResource): PolicyInput {
    return {
        type: resource.type,
        name: resource.name,
        urn: resource.urn,
        props: resource.inputs,
        protect: resource.protect,
        retainOnDelete: resource.retainOnDelete,
        parent: resource.parent || undefined,
        dependencies: resource.dependencies,
    };
}

/** A hand-made Kubernetes object as a resource of the stack. */
export function kubernetesInput(
    type: string,
    name: string,
    props: Record<string, any>,
    options: Partial<Pick<PolicyInput, "protect" | "retainOnDelete">> = {},
): PolicyInput {
    return {
        type,
        name,
        urn: `urn:pulumi:test-cluster::persistent-agents::${type}::${name}`,
        props,
        protect: options.protect ?? false,
        retainOnDelete: options.retainOnDelete ?? false,
        dependencies: [],
    };
}

function options(input: PolicyInput, view: OptionsView): PolicyResourceOptions {
    const opts: PolicyResourceOptions & { retainOnDelete?: boolean } = {
        protect: input.protect,
        ignoreChanges: [],
        aliases: [],
        customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
        additionalSecretOutputs: [],
    };
    if (input.parent) {
        opts.parent = input.parent;
    }
    if (view === "withRetainOnDelete") {
        opts.retainOnDelete = input.retainOnDelete;
    }
    return opts;
}

/** Thrown by `notApplicable`, as the SDK does. */
class NotApplicable extends Error {}

function resourceArgs(input: PolicyInput, view: OptionsView): ResourceValidationArgs {
    return {
        type: input.type,
        // A deep copy: a policy must not be able to change what the next one sees.
        props: JSON.parse(JSON.stringify(input.props)),
        urn: input.urn,
        name: input.name,
        opts: options(input, view),
        stackTags: new Map(),
        isType: () => {
            throw new Error("isType is not supported by this harness");
        },
        asType: () => {
            throw new Error("asType is not supported by this harness");
        },
        getConfig: <T extends object>() => ({}) as T,
        notApplicable: (reason?: string): never => {
            throw new NotApplicable(reason);
        },
    };
}

async function runResourcePolicy(
    policy: ResourceValidationPolicy,
    inputs: PolicyInput[],
    view: OptionsView = "withRetainOnDelete",
): Promise<Violation[]> {
    const violations: Violation[] = [];
    const validations = Array.isArray(policy.validateResource) ? policy.validateResource : [policy.validateResource!];
    for (const input of inputs) {
        for (const validate of validations) {
            try {
                // Like the SDK: for a resource policy, the URN argument is ignored.
                await validate(resourceArgs(input, view), (message) =>
                    violations.push({ policy: policy.name, urn: input.urn, message }),
                );
            } catch (err) {
                if (!(err instanceof NotApplicable)) {
                    throw err;
                }
            }
        }
    }
    return violations;
}

async function runStackPolicy(
    policy: StackValidationPolicy,
    inputs: PolicyInput[],
    view: OptionsView = "withRetainOnDelete",
): Promise<Violation[]> {
    const byUrn = new Map<string, PolicyResource>();
    const resources: PolicyResource[] = inputs.map((input) => {
        const resource: PolicyResource = {
            type: input.type,
            props: JSON.parse(JSON.stringify(input.props)),
            urn: input.urn,
            name: input.name,
            opts: options(input, view),
            dependencies: [],
            propertyDependencies: {},
            isType: () => {
                throw new Error("isType is not supported by this harness");
            },
            asType: () => {
                throw new Error("asType is not supported by this harness");
            },
        };
        byUrn.set(input.urn, resource);
        return resource;
    });
    inputs.forEach((input, i) => {
        resources[i].parent = input.parent ? byUrn.get(input.parent) : undefined;
        resources[i].dependencies = input.dependencies
            .map((urn) => byUrn.get(urn))
            .filter((r): r is PolicyResource => r !== undefined);
    });
    const violations: Violation[] = [];
    try {
        await policy.validateStack(
            {
                resources,
                stackTags: new Map(),
                getConfig: <T extends object>() => ({}) as T,
                notApplicable: (reason?: string): never => {
                    throw new NotApplicable(reason);
                },
            },
            (message, urn) => violations.push({ policy: policy.name, urn: urn ?? "", message }),
        );
    } catch (err) {
        if (!(err instanceof NotApplicable)) {
            throw err;
        }
    }
    return violations;
}

function isStackPolicy(policy: ResourceValidationPolicy | StackValidationPolicy): policy is StackValidationPolicy {
    return typeof (policy as StackValidationPolicy).validateStack === "function";
}

/** Runs a policy of either kind. */
export function runPolicy(
    policy: ResourceValidationPolicy | StackValidationPolicy,
    inputs: PolicyInput[],
    view: OptionsView = "withRetainOnDelete",
): Promise<Violation[]> {
    return isStackPolicy(policy) ? runStackPolicy(policy, inputs, view) : runResourcePolicy(policy, inputs, view);
}
