/** Parses the network settings: who may reach an agent, and where an agent may go. */
import * as formats from "./formats";
import { ObjectReader, Problems, describe } from "./problems";
import { EgressRule, ViewerSpec } from "./types";

export const EGRESS_KEYS = ["cidr", "namespace", "podLabels", "ports", "protocol"] as const;
export const NETWORK_KEYS = ["computerEgress", "agentEgress", "vncViewers"] as const;

export function parseEgressRules(parent: ObjectReader, key: string, problems: Problems): EgressRule[] {
    const rules: EgressRule[] = [];
    for (const { path, value } of parent.list(key)) {
        const rule = ObjectReader.of(path, value, problems, EGRESS_KEYS);
        const cidr = rule.string("cidr", { check: cidrCheck });
        const namespace = rule.string("namespace", { check: formats.dnsLabel(63) });
        if (!rule.has("cidr") && !rule.has("namespace")) {
            problems.add(path, "needs either cidr (e.g. 0.0.0.0/0) or namespace (e.g. gitea)");
        }
        if (rule.has("cidr") && rule.has("namespace")) {
            problems.add(path, "has both cidr and namespace; write two rules");
        }
        if (rule.has("podLabels") && !rule.has("namespace")) {
            problems.add(rule.at("podLabels"), "applies only with namespace; remove it or add namespace");
        }
        const ports: number[] = [];
        for (const port of rule.list("ports")) {
            const number = typeof port.value === "string" && /^\d+$/.test(port.value) ? Number(port.value) : port.value;
            if (typeof number !== "number" || !Number.isInteger(number) || number < 1 || number > 65535) {
                problems.add(port.path, `${describe(port.value)} is not a port number from 1 to 65535`);
            } else {
                ports.push(number);
            }
        }
        const protocol = (rule.string("protocol", { default: "TCP", oneOf: ["TCP", "UDP"] }) ?? "TCP") as "TCP" | "UDP";
        rules.push({ cidr, namespace, podLabels: labelMap(rule, problems), ports, protocol });
    }
    return rules;
}

export function parseViewers(parent: ObjectReader, key: string, problems: Problems): ViewerSpec {
    const viewers = parent.child(key, ["namespaces", "cidrs"]);
    return {
        namespaces: viewers.stringList("namespaces", formats.dnsLabel(63)),
        cidrs: viewers.stringList("cidrs", cidrCheck),
    };
}

function labelMap(rule: ObjectReader, problems: Problems): Record<string, string> | undefined {
    const raw = rule.value.podLabels;
    if (raw === undefined || raw === null) {
        return undefined;
    }
    if (typeof raw !== "object" || Array.isArray(raw)) {
        problems.add(rule.at("podLabels"), `${describe(raw)} is not a map of label names to values`);
        return undefined;
    }
    const labels: Record<string, string> = {};
    for (const [name, value] of Object.entries(raw)) {
        if (typeof value !== "string") {
            problems.add(`${rule.at("podLabels")}.${name}`, `${describe(value)} is not a string`);
        } else {
            labels[name] = value;
        }
    }
    return labels;
}

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
