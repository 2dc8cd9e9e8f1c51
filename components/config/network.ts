/**
 * CIDR arithmetic for the egress rules (ipaddr.js): parsing, and which private ranges a wide rule
 * contains. IPv4 only, written in full (four decimal parts) with no host bits set, as NetworkPolicy
 * ipBlocks are compared by the CNI.
 */
import * as ipaddr from "ipaddr.js";

export interface Cidr {
    address: ipaddr.IPv4;
    bits: number;
}

export function cidrCheck(text: string): string | undefined {
    return parseCidr(text) ? undefined : "is not an IPv4 CIDR without host bits, e.g. 203.0.113.0/24 or 0.0.0.0/0";
}

export function parseCidr(text: string): Cidr | undefined {
    const [address, bits, ...rest] = text.split("/");
    if (
        rest.length > 0 ||
        bits === undefined ||
        !/^\d{1,2}$/.test(bits) ||
        !ipaddr.IPv4.isValidFourPartDecimal(address)
    ) {
        return undefined;
    }
    let parsed: [ipaddr.IPv4 | ipaddr.IPv6, number];
    try {
        parsed = ipaddr.IPv4.parseCIDR(text);
    } catch {
        return undefined;
    }
    const [base, prefix] = parsed as [ipaddr.IPv4, number];
    // 10.0.0.1/8 names a host, not a range: the API server accepts it, but it is almost always a typo.
    if (ipaddr.IPv4.networkAddressFromCIDR(text).toString() !== base.toString()) {
        return undefined;
    }
    return { address: base, bits: prefix };
}

/** Whether `outer` contains `inner` and is larger than it. */
export function strictlyContains(outer: Cidr, inner: Cidr): boolean {
    return outer.bits < inner.bits && inner.address.match(outer.address, outer.bits);
}

/** Whether an IPv4 address lies in a CIDR (for the tests' NetworkPolicy evaluator). */
export function addressInCidr(address: string, cidr: string): boolean {
    return ipaddr.IPv4.parse(address).match(ipaddr.IPv4.parseCIDR(cidr));
}
