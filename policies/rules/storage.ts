/** An agent's claims outlive the stack's resources unless the operator asked otherwise. */
import type { PolicyResourceOptions, ResourceValidationPolicy } from "@pulumi/policy";
import { RETAIN_MARKER } from "./constants";
import { marker, objectRef } from "./kubernetes";

const CLAIM = "kubernetes:core/v1:PersistentVolumeClaim";

/**
 * The options as a policy sees them. The engine does not send retainOnDelete to analyzers (Pulumi 3.276,
 * @pulumi/policy 1.21); it is read when present, so the check tightens once it is sent.
 */
export type ClaimOptions = Pick<PolicyResourceOptions, "protect"> & { retainOnDelete?: boolean };

/** The violation for one claim, if any. */
function claimViolation(props: Record<string, any>, opts: ClaimOptions): string | undefined {
    const declared = marker(props?.metadata, RETAIN_MARKER);
    const ref = objectRef(props);
    if (opts.protect || opts.retainOnDelete === true) {
        return undefined;
    }
    if (declared === "false") {
        // The operator chose storage that goes with the agent.
        return undefined;
    }
    if (opts.retainOnDelete === false && declared === "true") {
        return `PersistentVolumeClaim ${ref} is marked ${RETAIN_MARKER}: "true" but is not retainOnDelete`;
    }
    if (opts.retainOnDelete === undefined && declared === "true") {
        // What the engine lets a policy see: the stack's declaration.
        return undefined;
    }
    return (
        `PersistentVolumeClaim ${ref} would be deleted with the stack: set retainOnDelete (and ${RETAIN_MARKER}: "true"), ` +
        `or ${RETAIN_MARKER}: "false" if the operator chose removable storage`
    );
}

export const claimsRetained: ResourceValidationPolicy = {
    name: "pvcs-retained",
    description:
        "Every PersistentVolumeClaim is retainOnDelete or protected, unless labelled or annotated " +
        `${RETAIN_MARKER}: "false" (the operator chose removable storage). The engine does not show ` +
        `retainOnDelete to policies, so retained claims declare it with ${RETAIN_MARKER}: "true".`,
    enforcementLevel: "mandatory",
    severity: "high",
    validateResource: (args, reportViolation) => {
        if (args.type !== CLAIM) {
            return;
        }
        const message = claimViolation(args.props, args.opts as ClaimOptions);
        if (message) {
            reportViolation(message);
        }
    },
};
