/** The README's configuration reference is the schema's (components/config/reference.ts generates it). */
import * as assert from "node:assert";
import * as fs from "node:fs";
import { END_MARKER, README, START_MARKER, configReference, withReference } from "../components/config/reference";

describe("README configuration reference", () => {
    it("is what the schema generates (regenerate: npx tsx components/config/reference.ts --write)", () => {
        const readme = fs.readFileSync(README, "utf8");
        assert.ok(
            readme.includes(START_MARKER) && readme.includes(END_MARKER),
            "README.md lost the reference's markers",
        );
        assert.strictEqual(
            readme,
            withReference(readme, configReference()),
            "README.md's configuration reference differs from the schema; run npx tsx components/config/reference.ts --write",
        );
    });

    it("lists every key of the schema with its default, and the rules that are not obvious", () => {
        const reference = configReference();
        for (const row of [
            "| `allowNoAgents` | `false` |",
            "| `registry` | required |",
            "| `vault.pathPrefix` | `agents` |",
            "| `network.dns.podLabels` | `{k8s-app: kube-dns}` |",
            "| `name` | required |",
            "| `storage.workspace` | `20Gi` |",
            "| `desktop.browserView.enabled` | `false` |",
        ]) {
            assert.ok(reference.includes(row), `no row ${row}`);
        }
        assert.match(reference, /`secretStore\.kind` .* one of `SecretStore`, `ClusterSecretStore`/);
    });
});
