/** CIDR arithmetic for the egress rules: parsing, and which private ranges a wide rule contains. */

export function cidrCheck(text: string): string | undefined {
    return parseCidr(text) ? undefined : "is not an IPv4 CIDR, e.g. 203.0.113.0/24 or 0.0.0.0/0";
}

export interface Cidr {
    base: number;
    bits: number;
}

export function parseCidr(text: string): Cidr | undefined {
    const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(text);
    if (!match) {
        return undefined;
    }
    const octets = match.slice(1, 5).map(Number);
    const bits = Number(match[5]);
    if (octets.some((o) => o > 255) || bits > 32) {
        return undefined;
    }
    const address = ((octets[0] << 24) >>> 0) + (octets[1] << 16) + (octets[2] << 8) + octets[3];
    const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
    if ((address & ~mask) >>> 0 !== 0) {
        return undefined;
    }
    return { base: address, bits };
}

/** Whether `outer` contains `inner` and is larger than it. */
export function strictlyContains(outer: Cidr, inner: Cidr): boolean {
    if (outer.bits >= inner.bits) {
        return false;
    }
    const mask = outer.bits === 0 ? 0 : (~0 << (32 - outer.bits)) >>> 0;
    return ((inner.base & mask) >>> 0) === outer.base;
}
