/**
 * The ResourceQuota adds figures up (the computer's containers, kagent's pod twice, the backup and
 * egress proxy pods): each figure may be within the API server's bound while the sum is not. The sums
 * are the plan's own (plan/quotas.ts), checked here once the config has been planned, so that the check
 * and the quota can never count different pods.
 */
import type { ResourceFigures } from "./defaults";
import type { Problems } from "./problems";
import { formatBytes, MAX_QUANTITY } from "./quantity";

export interface QuotaTotals {
    requests: ResourceFigures<number>;
    limits: ResourceFigures<number>;
    /** Bytes of both claims. */
    storage: number;
}

export function checkQuotaTotals(totals: QuotaTotals, index: number, problems: Problems): void {
    for (const kind of ["requests", "limits"] as const) {
        const millicores = totals[kind].cpu * 1000;
        if (!(millicores < MAX_QUANTITY) || !(totals[kind].memory < MAX_QUANTITY)) {
            problems.add(
                `agents[${index}].resources`,
                `the ${kind} add up to more than the API server accepts in the ResourceQuota (under 2^63 bytes or millicores); lower them`,
            );
        }
    }
    if (!(totals.storage < MAX_QUANTITY)) {
        problems.add(
            `agents[${index}].storage`,
            `the claims add up to ${formatBytes(totals.storage)} in the ResourceQuota, more than the API server accepts (under 2^63 bytes); make them smaller`,
        );
    }
}
