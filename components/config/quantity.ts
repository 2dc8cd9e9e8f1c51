/**
 * Kubernetes resource quantities (https://kubernetes.io/docs/reference/kubernetes-api/common-definitions/quantity/).
 * Parsed to plain numbers so that validation can compare requests with limits and quotas can add them up.
 */

const BINARY_SUFFIXES: Record<string, number> = {
    Ki: 2 ** 10,
    Mi: 2 ** 20,
    Gi: 2 ** 30,
    Ti: 2 ** 40,
    Pi: 2 ** 50,
    Ei: 2 ** 60,
};
const DECIMAL_SUFFIXES: Record<string, number> = {
    n: 1e-9,
    u: 1e-6,
    m: 1e-3,
    "": 1,
    k: 1e3,
    M: 1e6,
    G: 1e9,
    T: 1e12,
    P: 1e15,
    E: 1e18,
};

/**
 * Quantities are int64 in their smallest unit on the API server (bytes, millicores): at most 2^63-1,
 * which as a double rounds to 2^63, so figures must stay strictly below this.
 */
export const MAX_QUANTITY = 2 ** 63;

const QUANTITY = /^([+-]?(?:\d+(?:\.\d*)?|\.\d+))(?:(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)|[eE]([+-]?\d+))?$/;

/** The quantity's value (bytes for memory and storage, cores for CPU), or undefined when it is not one. */
export function parseQuantity(text: string): number | undefined {
    const match = QUANTITY.exec(text);
    if (!match) {
        return undefined;
    }
    const [, number, suffix, exponent] = match;
    const base = Number(number);
    if (exponent !== undefined) {
        return base * 10 ** Number(exponent);
    }
    const multiplier = suffix === undefined ? 1 : (BINARY_SUFFIXES[suffix] ?? DECIMAL_SUFFIXES[suffix]);
    return base * multiplier;
}

/** Formats bytes with the largest binary suffix that keeps an integer, the way operators write them. */
export function formatBytes(bytes: number): string {
    for (const suffix of ["Ei", "Pi", "Ti", "Gi", "Mi", "Ki"]) {
        const unit = BINARY_SUFFIXES[suffix];
        if (bytes >= unit && Number.isInteger(bytes / unit)) {
            return `${bytes / unit}${suffix}`;
        }
    }
    return `${Math.ceil(bytes)}`;
}

/** Formats cores as millicores, the unit every CPU figure in this stack can be written in exactly. */
export function formatCpu(cores: number): string {
    return `${Math.round(cores * 1000)}m`;
}
