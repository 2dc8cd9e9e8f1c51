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

/**
 * A host of `network.allowDomains`: a DNS name, or `*.` and a name of at least two labels. A URL, an IP
 * address or a port is refused with the way to write it, as the proxy matches names, not addresses.
 */
export function allowedHostCheck(text: string): string | undefined {
    if (/^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(text) || text.includes("/")) {
        return "is a URL; write the host alone, e.g. pypi.org";
    }
    const unbracketed = text.replace(/^\[(.*)\]$/, "$1");
    // 1.2.3.4, ::1, and the short forms 10.1 and 167772161 that resolvers take as addresses too.
    if ((ipaddr.isValid(unbracketed) && unbracketed.includes(":")) || /^[0-9.]+$|\.[0-9]+$/.test(text)) {
        return "is an IP address; allowDomains takes host names (give an address a network.computerEgress rule with its CIDR)";
    }
    if (text.includes(":")) {
        return 'has a port; write the host alone and the port in ports, e.g. {host: "git.example.com", ports: [8443]}';
    }
    const wildcard = text.startsWith("*.");
    const name = wildcard ? text.slice(2) : text;
    if (name.includes("*")) {
        return "has a * that is not a leading `*.`; write *.example.com for every subdomain of example.com";
    }
    if (!HOST_NAME.test(name) || name.length > 253) {
        return "is not a host name, e.g. pypi.org or *.example.com";
    }
    if (wildcard && !name.includes(".")) {
        return `would allow every name under the top-level domain "${name}"; name a domain, e.g. *.example.${name}`;
    }
    return undefined;
}

const HOST_NAME = /^[A-Za-z0-9]([-A-Za-z0-9]*[A-Za-z0-9])?(\.[A-Za-z0-9]([-A-Za-z0-9]*[A-Za-z0-9])?)*$/;
