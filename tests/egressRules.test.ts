/** The egress proxy's per-agent squid rules (components/render/squidRules.ts): what each list entry becomes. */
import * as assert from "node:assert";
import { brokerGitHeaderTemplate } from "../components/plan/gitCredentials";
import { hostPattern, squidRules } from "../components/render/squidRules";

describe("egress proxy: squid rules", () => {
    it("matches exact hosts exactly and wildcards on subdomains only", () => {
        const exact = new RegExp(hostPattern("PyPI.org"));
        assert.ok(exact.test("pypi.org"));
        assert.ok(!exact.test("evilpypi.org") && !exact.test("pypi.org.evil.com") && !exact.test("files.pypi.org"));
        const wild = new RegExp(hostPattern("*.example.com"));
        assert.ok(wild.test("a.example.com") && wild.test("a.b.example.com"));
        assert.ok(!wild.test("example.com") && !wild.test("aexample.com") && !wild.test("a.example.com.evil"));
    });

    it("groups hosts by their ports, and allows SNI for every listed name", () => {
        const text = squidRules({
            agent: "devbot",
            allow: [
                { host: "pypi.org", ports: [443] },
                { host: "*.githubusercontent.com", ports: [443] },
                { host: "mirror.example.com", ports: [80, 443] },
            ],
        });
        assert.match(text, /^note agent devbot$/m);
        assert.match(text, /^err_html_text devbot$/m);
        assert.match(text, /^acl egress_ports_0 port 443$/m);
        assert.match(
            text,
            /^acl egress_hosts_0 dstdom_regex -n -i \^pypi\\\.org\$ \^\(\[\^\.\]\+\\\.\)\+githubusercontent\\\.com\$$/m,
        );
        assert.match(text, /^acl egress_ports_1 port 80 443$/m);
        assert.match(text, /^acl egress_allowed any-of egress_rule_0 egress_rule_1$/m);
        assert.match(text, /^acl egress_sni_allowed ssl::server_name_regex -i .*\^mirror\\\.example\\\.com\$$/m);
        assert.doesNotMatch(text, /cache_peer|broker/);
    });

    it("brokers git over a TLS peer, dropping the agent's own Authorization", () => {
        const text = squidRules({
            agent: "devbot",
            allow: [{ host: "pypi.org", ports: [443] }],
            broker: { host: "git.example.com", port: 443, httpPort: 80 },
        });
        assert.match(text, /^acl egress_broker_git_port port 80$/m);
        assert.match(
            text,
            /^cache_peer git\.example\.com parent 443 0 no-query no-digest originserver tls name=egress_broker_git$/m,
        );
        assert.match(text, /^never_direct allow egress_broker_git$/m);
        assert.match(text, /^request_header_access Authorization deny egress_broker_git$/m);
        assert.match(text, /^include \/var\/run\/secrets\/egress-proxy\/broker-git\.conf$/m);
        assert.match(text, /^acl egress_allowed any-of egress_rule_0 egress_broker_git$/m);
        assert.match(brokerGitHeaderTemplate("devbot"), /b64enc }}" egress_broker_git\n$/);
    });

    it("refuses to render a proxy that allows nothing", () => {
        assert.throws(() => squidRules({ agent: "devbot", allow: [] }), /nothing to allow/);
    });
});
