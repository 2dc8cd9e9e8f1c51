/**
 * The per-agent part of the egress proxy's Squid configuration (images/egress-proxy/squid.conf includes
 * it from /etc/egress-proxy/rules/rules.conf): the agent's name, which hosts and ports a CONNECT or a
 * plain HTTP request may reach, which TLS server names a tunnel may carry, and the git credential
 * broker. Pure text from plain data, so that the stack, the process tests (tests/egress-proxy) and the
 * image tests render exactly the same rules.
 */
import type { AllowedDomain } from "../config";
import { BROKER_GIT_ACL, BROKER_GIT_FILE, BROKER_SECRET_DIR } from "../contract/egressProxy";
import type { GitBroker } from "../plan/egressProxy";

/** `*.example.com` matches any subdomain of example.com (not example.com itself); other hosts match exactly. */
export function hostPattern(host: string): string {
    const lower = host.toLowerCase();
    if (lower.startsWith("*.")) {
        return `^([^.]+\\.)+${escapeDots(lower.slice(2))}$`;
    }
    return `^${escapeDots(lower)}$`;
}

const escapeDots = (name: string) => name.replace(/\./g, "\\.");

export interface SquidRulesOptions {
    agent: string;
    allow: AllowedDomain[];
    broker?: GitBroker;
    /** Folder of the broker's Secret-rendered files (tests point it elsewhere). */
    brokerSecretDir?: string;
}

export function squidRules({ agent, allow, broker, brokerSecretDir = BROKER_SECRET_DIR }: SquidRulesOptions): string {
    if (allow.length === 0 && !broker) {
        throw new Error("squidRules: nothing to allow; the stack runs no egress proxy without network.allowDomains");
    }
    const lines = [
        `# Rendered by the stack for agent ${agent} (components/render/squidRules.ts); do not edit.`,
        `note agent ${agent}`,
        // `%L` in ERR_EGRESS_DENIED: the refusal names the agent whose config would allow the host.
        `err_html_text ${agent}`,
    ];
    const rules: string[] = [];
    const names = new Set<string>();
    for (const [index, group] of groupByPorts(allow).entries()) {
        const patterns = group.hosts.map(hostPattern);
        lines.push(
            `acl egress_ports_${index} port ${group.ports.join(" ")}`,
            `acl egress_hosts_${index} dstdom_regex -n -i ${patterns.join(" ")}`,
            `acl egress_rule_${index} all-of egress_hosts_${index} egress_ports_${index}`,
        );
        rules.push(`egress_rule_${index}`);
        for (const pattern of patterns) {
            names.add(pattern);
        }
    }
    if (broker) {
        const peerTls = broker.caFile ? `tls tls-cafile=${broker.caFile}` : "tls";
        lines.push(
            "# git credential broker: plain HTTP for the git host from the computer, TLS with the token beyond.",
            `acl ${BROKER_GIT_ACL}_host dstdomain -n ${broker.host.toLowerCase()}`,
            `acl ${BROKER_GIT_ACL}_port port ${broker.httpPort}`,
            `acl ${BROKER_GIT_ACL}_http proto HTTP`,
            `acl ${BROKER_GIT_ACL} all-of ${BROKER_GIT_ACL}_host ${BROKER_GIT_ACL}_port ${BROKER_GIT_ACL}_http`,
            `cache_peer ${broker.host.toLowerCase()} parent ${broker.port} 0 no-query no-digest originserver ${peerTls} name=${BROKER_GIT_ACL}`,
            `cache_peer_access ${BROKER_GIT_ACL} allow ${BROKER_GIT_ACL}`,
            `cache_peer_access ${BROKER_GIT_ACL} deny all`,
            `never_direct allow ${BROKER_GIT_ACL}`,
            // Whatever the agent sends is dropped; the broker's own header is added after this filter.
            `request_header_access Authorization deny ${BROKER_GIT_ACL}`,
            `include ${brokerSecretDir}/${BROKER_GIT_FILE}`,
        );
        rules.push(BROKER_GIT_ACL);
    }
    lines.push(`acl egress_allowed any-of ${rules.join(" ")}`);
    // A tunnel's TLS must name an allowed host; a list with no names (a broker alone) matches no SNI.
    lines.push(
        names.size > 0
            ? `acl egress_sni_allowed ssl::server_name_regex -i ${[...names].join(" ")}`
            : "acl egress_sni_allowed ssl::server_name_regex -i ^$",
    );
    return `${lines.join("\n")}\n`;
}

function groupByPorts(allow: AllowedDomain[]): { ports: number[]; hosts: string[] }[] {
    const groups = new Map<string, { ports: number[]; hosts: string[] }>();
    for (const { host, ports } of allow) {
        const sorted = [...new Set(ports)].sort((a, b) => a - b);
        const key = sorted.join(",");
        const group = groups.get(key) ?? { ports: sorted, hosts: [] };
        if (!group.hosts.includes(host.toLowerCase())) {
            group.hosts.push(host.toLowerCase());
        }
        groups.set(key, group);
    }
    return [...groups.values()];
}
