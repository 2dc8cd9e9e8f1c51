/** Config of egress by domain name: network.allowDomains (platform and agent) and credentials.gitea.brokered. */
import * as assert from "node:assert";
import { ConfigError, parseStackConfig, type StackConfig } from "../components/config";
import { planAgent } from "../components/plan";
import { egressProxyObjects } from "../components/render/egressProxy";
import { copy, stackConfig } from "./harness/stackFile";

const testCluster = stackConfig("test-cluster");

function parse(agents: unknown, platform: unknown = testCluster.platform): StackConfig {
    return parseStackConfig({ values: { agents, platform }, isSecret: () => false, stackName: "test-cluster" });
}

function problemsOf(agents: unknown, platform: unknown = testCluster.platform): string[] {
    try {
        parse(agents, platform);
    } catch (err) {
        assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${err}`);
        return [...err.problems];
    }
    assert.fail("expected the config to be rejected");
}

const withPlatformDomains = (allowDomains: unknown) => {
    const platform = copy(testCluster.platform) as any;
    platform.network = { ...(platform.network ?? {}), allowDomains };
    return platform;
};

describe("config: network.allowDomains and brokered credentials", () => {
    it("merges the platform's list with the agent's; a host alone means port 443", () => {
        const { agents } = parse(
            [
                {
                    name: "devbot",
                    network: { allowDomains: ["pypi.org", { host: "*.example.com", ports: ["80", 8443] }] },
                },
            ],
            withPlatformDomains([{ host: "github.com" }]),
        );
        assert.deepStrictEqual(agents[0].network.allowDomains, [
            { host: "github.com", ports: [443] },
            { host: "pypi.org", ports: [443] },
            { host: "*.example.com", ports: [80, 8443] },
        ]);
        const { agents: none } = parse([{ name: "devbot" }]);
        assert.deepStrictEqual(none[0].network.allowDomains, [], "no list, no proxy (the default is unchanged)");
    });

    it("refuses URLs, addresses, ports in the host, inner wildcards and whole top-level domains, naming the field", () => {
        const problems = problemsOf([
            {
                name: "devbot",
                network: {
                    allowDomains: [
                        "https://pypi.org/simple",
                        "203.0.113.7",
                        "[2001:db8::1]",
                        "git.example.com:8443",
                        "a.*.example.com",
                        "*.com",
                        { host: "pypi.org", ports: [] },
                        { host: "pypi.org", ports: [70000] },
                        { host: "pypi.org", port: 443 },
                    ],
                },
            },
        ]);
        const at = (index: number) => `agents[0].network.allowDomains[${index}]`;
        const expect = (pattern: RegExp) =>
            assert.ok(
                problems.some((p) => pattern.test(p)),
                `no problem matches ${pattern}; got:\n${problems.join("\n")}`,
            );
        expect(new RegExp(`^${escapeRegExp(at(0))}\\.host: "https://pypi.org/simple" is a URL; write the host alone`));
        expect(
            new RegExp(`^${escapeRegExp(at(1))}\\.host: "203.0.113.7" is an IP address; allowDomains takes host names`),
        );
        expect(new RegExp(`^${escapeRegExp(at(2))}\\.host: "\\[2001:db8::1\\]" is an IP address`));
        expect(new RegExp(`^${escapeRegExp(at(3))}\\.host: "git.example.com:8443" has a port; .*ports: \\[8443\\]`));
        expect(new RegExp(`^${escapeRegExp(at(4))}\\.host: "a.\\*.example.com" has a \\* that is not a leading`));
        expect(
            new RegExp(`^${escapeRegExp(at(5))}\\.host: "\\*.com" would allow every name under the top-level domain`),
        );
        expect(new RegExp(`^${escapeRegExp(at(6))}\\.ports: is empty; list at least one port`));
        expect(new RegExp(`^${escapeRegExp(at(7))}\\.ports\\[0\\]: 70000 is not a whole number from 1 to 65535`));
        expect(new RegExp(`^${escapeRegExp(at(8))}\\.port: unknown key; did you mean "ports"\\?`));
        assert.strictEqual(problems.length, 9, problems.join("\n"));
    });

    it("refuses the same mistakes in the platform's list", () => {
        const problems = problemsOf([{ name: "devbot" }], withPlatformDomains(["10.0.0.1"]));
        assert.ok(
            problems.some((p) => /^platform\.network\.allowDomains\[0\]\.host: "10.0.0.1" is an IP address/.test(p)),
            problems.join("\n"),
        );
    });

    it("brokers the git credential only for an agent with a proxy and a Gitea credential", () => {
        const { agents } = parse([
            { name: "devbot", credentials: { gitea: { brokered: true } }, network: { allowDomains: ["pypi.org"] } },
        ]);
        assert.strictEqual(agents[0].credentials.gitea.brokered, true);
        // Checks across keys run once every agent parses: one problem of each kind per config.
        const noProxy = problemsOf([{ name: "devbot", credentials: { gitea: { brokered: "true" } } }]);
        assert.ok(
            noProxy.some((p) =>
                /^agents\[0\]\.credentials\.gitea\.brokered: needs the agent's egress proxy, which only an agent with network\.allowDomains has/.test(
                    p,
                ),
            ),
            noProxy.join("\n"),
        );
        const problems = problemsOf([
            {
                name: "webbot",
                credentials: { gitea: { enabled: false, brokered: true } },
                network: { allowDomains: ["pypi.org"] },
            },
        ]);
        assert.ok(
            problems.some((p) =>
                /^agents\[0\]\.credentials\.gitea\.brokered: is set but the agent has no Gitea credential/.test(p),
            ),
            problems.join("\n"),
        );
        const { agents: viaPlatform } = parse(
            [{ name: "devbot", credentials: { gitea: { brokered: true } } }],
            withPlatformDomains(["pypi.org"]),
        );
        assert.strictEqual(viaPlatform[0].credentials.gitea.brokered, true, "the platform's list gives the proxy too");
    });
});

function escapeRegExp(text: string): string {
    return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

describe("config: platform.giteaCaCertificate (a Gitea behind a private CA, brokered)", () => {
    const certificate = "-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n";
    const brokered = [
        { name: "devbot", credentials: { gitea: { brokered: true } }, network: { allowDomains: ["pypi.org"] } },
    ];
    const withCa = (value: string) => ({ ...(copy(testCluster.platform) as any), giteaCaCertificate: value });

    it("goes into the proxy's ConfigMap, and its squid rules verify the Gitea host with it", () => {
        const { platform, agents } = parse(brokered, withCa(certificate));
        const proxy = planAgent(agents[0], platform).egressProxy!;
        assert.strictEqual(proxy.broker?.caFile, "/etc/egress-proxy/rules/gitea-ca.pem");
        const configMap = egressProxyObjects("devbot", proxy, {
            egressProxy: "registry.test/egress@sha256:0",
        } as never).find((r) => r.key === "egress-configmap")!.object as unknown as { data: Record<string, string> };
        assert.strictEqual(configMap.data["gitea-ca.pem"], certificate);
        assert.match(configMap.data["rules.conf"], /tls-cafile=\/etc\/egress-proxy\/rules\/gitea-ca\.pem/);
        const without = planAgent(parse(brokered).agents[0], parse(brokered).platform).egressProxy!;
        assert.strictEqual(without.broker?.caFile, undefined);
    });

    it("refuses what is not a certificate, naming the key", () => {
        for (const value of ["not a certificate", "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----"]) {
            const problems = problemsOf(brokered, withCa(value));
            assert.ok(
                problems.some((p) => p.includes("platform.giteaCaCertificate")),
                problems.join("\n"),
            );
        }
    });
});
