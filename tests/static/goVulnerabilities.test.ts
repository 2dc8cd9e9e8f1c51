/**
 * scripts/go-vulnerabilities.py, the judge of the Go vulnerability scan (scripts/go-vulnerabilities.sh):
 * given govulncheck's JSON stream for a module folder and the allow-list, every finding that is not allowed
 * fails with the folder, the id, the module and its fixed version; an allowed one passes; an allow-list line
 * that matches nothing, or that lacks a reason, fails. The scan itself (govulncheck over the repository)
 * runs in the static checks of scripts/test-all.sh; here its output is written by hand in govulncheck's
 * format (golang.org/x/vuln/internal/govulncheck: a stream of JSON values, one finding per level reached).
 */
import * as assert from "node:assert";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const JUDGE = path.join(__dirname, "..", "..", "scripts", "go-vulnerabilities.py");

const osv = (id: string, summary: string) => ({ osv: { id, summary, affected: [] } });
/** One finding per level govulncheck reached: module, then package, then the called symbol. */
const finding = (id: string, module: string, version: string, fixed: string, frame: object) => ({
    finding: { osv: id, fixed_version: fixed, trace: [{ module, version, ...frame }] },
});

const NET_HTTP2 = [
    osv("GO-2026-6611", "Excessive CPU consumption from repeated initial window changes in net/http"),
    finding("GO-2026-6611", "golang.org/x/net", "v0.59.0", "v0.60.0", {}),
    finding("GO-2026-6611", "golang.org/x/net", "v0.59.0", "v0.60.0", { package: "golang.org/x/net/http2" }),
    finding("GO-2026-6611", "golang.org/x/net", "v0.59.0", "v0.60.0", {
        package: "golang.org/x/net/http2",
        receiver: "*Server",
        function: "ServeConn",
    }),
];
const STDLIB = [
    osv("GO-2026-6809", "Distrust compromised intermediate certificates in crypto/x509"),
    finding("GO-2026-6809", "stdlib", "v1.26.8", "v1.26.10", {}),
];

describe("static: scripts/go-vulnerabilities.py (the Go vulnerability scan's judge)", () => {
    let dir: string;
    beforeEach(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "go-vulnerabilities-"));
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    /** Runs the judge on scans of {folder: messages} with the allow-list text. */
    function judge(scans: Record<string, object[]>, allowed: string) {
        const lines = Object.entries(scans).map(([folder, messages], index) => {
            const file = path.join(dir, `scan-${index}.json`);
            // Pretty-printed, as govulncheck writes it: values span lines.
            fs.writeFileSync(file, messages.map((message) => JSON.stringify(message, null, 2)).join("\n"));
            return `${folder}\t${file}\n`;
        });
        fs.writeFileSync(path.join(dir, "scans"), lines.join(""));
        fs.writeFileSync(path.join(dir, "allowed"), allowed);
        const result = spawnSync(
            "python3",
            [JUDGE, path.join(dir, "scans"), path.join(dir, "allowed"), "go-vulnerabilities.allowed"],
            { encoding: "utf8" },
        );
        assert.strictEqual(result.error, undefined, String(result.error));
        return { status: result.status, output: `${result.stdout}${result.stderr}` };
    }

    it("fails on a finding, once at the deepest level, naming the folder, id, module and fixed version", () => {
        const result = judge({ "images/app": [...NET_HTTP2, ...STDLIB], "tests/none": [] }, "# nothing\n");
        assert.strictEqual(result.status, 1, result.output);
        assert.match(
            result.output,
            /^FOUND +images\/app: GO-2026-6611 in golang\.org\/x\/net@v0\.59\.0, called \(golang\.org\/x\/net\/http2\.\*Server\.ServeConn\); fixed in golang\.org\/x\/net@v0\.60\.0: Excessive CPU/m,
        );
        assert.match(
            result.output,
            /^FOUND +images\/app: GO-2026-6809 in stdlib@v1\.26\.8, required, not imported; fixed in stdlib@v1\.26\.10/m,
        );
        assert.strictEqual(result.output.match(/GO-2026-6611 in/g)?.length, 1, "one line per id and module");
        assert.match(result.output, /2 problem\(s\)/);
    });

    it("passes when every finding is allowed for its folder, and says how many", () => {
        const result = judge(
            { "images/app": [...NET_HTTP2, ...STDLIB] },
            "GO-2026-6611 images/app pending a bump of x/net\nGO-2026-6809 images/app pending the image's Go\n",
        );
        assert.strictEqual(result.status, 0, result.output);
        assert.match(result.output, /^allowed +images\/app: GO-2026-6611 .* \[go-vulnerabilities\.allowed:1\]$/m);
        assert.match(result.output, /none but the 2 allowed/);
    });

    it("does not let a line for one folder allow the same id in another", () => {
        const result = judge(
            { "images/app": NET_HTTP2, "images/other": NET_HTTP2 },
            "GO-2026-6611 images/app reason\n",
        );
        assert.strictEqual(result.status, 1, result.output);
        assert.match(result.output, /^FOUND +images\/other: GO-2026-6611/m);
        assert.doesNotMatch(result.output, /^FOUND +images\/app/m);
    });

    it("fails on an allow-list line that matches no finding, and on one without a reason", () => {
        const stale = judge({ "images/app": [] }, "GO-2026-6611 images/app fixed since\n");
        assert.strictEqual(stale.status, 1, stale.output);
        assert.match(
            stale.output,
            /go-vulnerabilities\.allowed:1: GO-2026-6611 is no longer found in images\/app; remove the line/,
        );
        const bare = judge({ "images/app": NET_HTTP2 }, "GO-2026-6611 images/app\n");
        assert.strictEqual(bare.status, 1, bare.output);
        assert.match(
            bare.output,
            /go-vulnerabilities\.allowed:1: expected '<GO-YYYY-NNNN id> <module folder> <reason>'/,
        );
    });

    it("says when there is no fixed version yet", () => {
        const result = judge(
            { "tests/x": [osv("GO-2026-0001", "unfixed"), finding("GO-2026-0001", "example.com/m", "v1.0.0", "", {})] },
            "",
        );
        assert.strictEqual(result.status, 1, result.output);
        assert.match(
            result.output,
            /GO-2026-0001 in example\.com\/m@v1\.0\.0, required, not imported; no fixed version yet/,
        );
    });
});
