/** Every container states what it needs and what it may use. */
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { containersOf, podTemplateOf } from "./kubernetes";

const REQUIRED = ["requests.cpu", "requests.memory", "limits.cpu", "limits.memory"] as const;

export const containerResources: ResourceValidationPolicy = {
    name: "container-resources",
    description: "Every container sets resources.requests and resources.limits for cpu and memory.",
    enforcementLevel: "mandatory",
    severity: "medium",
    validateResource: (args, reportViolation) => {
        const pod = podTemplateOf(args.type, args.props);
        if (!pod) {
            return;
        }
        // Ephemeral containers may not set resources, so they are left out.
        for (const { label, container } of containersOf(pod.spec).filter((c) => !c.label.startsWith("ephemeral"))) {
            const missing = REQUIRED.filter((path) => {
                const [kind, resource] = path.split(".");
                const value = container.resources?.[kind]?.[resource];
                return value === undefined || value === null || value === "";
            });
            if (missing.length > 0) {
                reportViolation(`${label} does not set resources ${missing.join(", ")}`);
            }
        }
    },
};
