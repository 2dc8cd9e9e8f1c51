/** CIDR arithmetic (components/config/network.ts, on ipaddr.js): what egress rules accept and open. */
import * as assert from "node:assert";
import { addressInCidr, parseCidr, strictlyContains } from "../components/config/network";
import { egressRule, PRIVATE_RANGES } from "../components/plan/network";

describe("network: CIDRs", () => {
    it("accepts full IPv4 ranges without host bits, and nothing else", () => {
        for (const good of ["0.0.0.0/0", "10.0.0.0/8", "203.0.113.0/24", "1.2.3.4/32"]) {
            assert.ok(parseCidr(good), good);
        }
        for (const bad of [
            "10.0.0.1/8",
            "10.1/16",
            "256.0.0.0/8",
            "10.0.0.0/33",
            "::/0",
            "01.2.3.4/32",
            "1.2.3.4",
            "1.2.3.4/8/8",
            "",
        ]) {
            assert.strictEqual(parseCidr(bad), undefined, bad);
        }
    });

    it("keeps the private ranges inside a wide rule closed, and only those", () => {
        const rule = egressRule({ cidr: "0.0.0.0/0", ports: [443], protocol: "TCP" });
        assert.deepStrictEqual(rule.peers, [{ cidr: "0.0.0.0/0", except: PRIVATE_RANGES }]);
        const narrow = egressRule({ cidr: "10.0.0.0/8", ports: [], protocol: "TCP" });
        assert.deepStrictEqual(narrow.peers, [{ cidr: "10.0.0.0/8" }], "a rule naming a private range opens it");
        const partly = egressRule({ cidr: "172.0.0.0/8", ports: [], protocol: "TCP" });
        assert.deepStrictEqual(partly.peers, [{ cidr: "172.0.0.0/8", except: ["172.16.0.0/12"] }]);
        assert.ok(
            !strictlyContains(parseCidr("10.0.0.0/8")!, parseCidr("10.0.0.0/8")!),
            "a range does not strictly contain itself",
        );
    });

    it("places addresses in ranges", () => {
        assert.ok(addressInCidr("10.200.0.1", "10.0.0.0/8"));
        assert.ok(!addressInCidr("11.0.0.1", "10.0.0.0/8"));
        assert.ok(addressInCidr("8.8.8.8", "0.0.0.0/0"));
    });
});
