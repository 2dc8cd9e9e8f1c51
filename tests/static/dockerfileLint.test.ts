/** The Dockerfile linter (scripts/lint/dockerfile.ts): each rule fails on a bad file, and the real images pass. */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { Rule, lintDockerfile, namesSecret, parseDockerfile } from "../../scripts/lint/dockerfile";

const REPO_ROOT = path.join(__dirname, "..", "..");

/** A Dockerfile that breaks no rule; each bad case below changes one thing in a file like it. */
const GOOD = `# syntax=docker/dockerfile:1
ARG BASE=debian:bookworm-20251229-slim
FROM \${BASE}
ENV MCP_AUTH_TOKEN_FILE=/var/run/secrets/agent/mcp/mcp-token \\
    VNC_PASSWORD_FILE=/var/run/secrets/agent/vnc/vnc-password
RUN apt-get update \\
 && apt-get install -y --no-install-recommends ca-certificates curl \\
 && rm -rf /var/lib/apt/lists/*
RUN useradd --uid 1000 agent
USER 1000
`;

function rules(text: string): Rule[] {
    return lintDockerfile(text).map((f) => f.rule);
}

describe("static: Dockerfile lint", () => {
    it("accepts a Dockerfile that follows every rule", () => {
        assert.deepStrictEqual(lintDockerfile(GOOD), []);
    });

    describe("from-pinned", () => {
        const cases: [string, string][] = [
            ["a bare image (implicitly latest)", "FROM debian\nUSER 1000\n"],
            ["latest", "FROM python:latest\nUSER 1000\n"],
            ["a moving codename tag", "FROM debian:bookworm-slim\nUSER 1000\n"],
            ["a major-only tag", "FROM node:22\nUSER 1000\n"],
            ["a registry with a port and no tag", "FROM registry.local:5000/agents/base\nUSER 1000\n"],
            ["an ARG without a default", "ARG BASE\nFROM ${BASE}\nUSER 1000\n"],
            ["an ARG defaulting to latest", "ARG BASE=node:latest\nFROM $BASE AS build\nFROM build\nUSER 1000\n"],
            ["any unpinned stage, not only the last", "FROM golang:latest AS build\nFROM debian:bookworm-20251229-slim\nUSER 1000\n"],
        ];
        for (const [what, text] of cases) {
            it(`rejects ${what}`, () => {
                assert.deepStrictEqual(rules(text), ["from-pinned"], JSON.stringify(lintDockerfile(text)));
            });
        }
        it("accepts version tags, date-stamped tags, digests, scratch and earlier stages", () => {
            const text = [
                "FROM --platform=$BUILDPLATFORM node:22.23.3-bookworm-slim AS build",
                "FROM python:3.12.12-slim-bookworm AS py",
                `FROM registry.local:5000/agents/base@sha256:${"a".repeat(64)} AS base`,
                "FROM scratch AS empty",
                "FROM build",
                "USER agent",
            ].join("\n");
            assert.deepStrictEqual(lintDockerfile(text), []);
        });
        it("names the line and the resolved image", () => {
            const [finding] = lintDockerfile("ARG IMG=ubuntu\n\nFROM ${IMG}\nUSER 1000\n");
            assert.strictEqual(finding.line, 3);
            assert.match(finding.message, /\$\{IMG\} \(= ubuntu\)/);
        });
    });

    describe("final-user", () => {
        it("rejects a final stage without USER, even when an earlier stage has one", () => {
            const text = "FROM node:22.23.3-bookworm-slim AS build\nUSER 1000\nFROM debian:bookworm-20251229-slim\nCOPY --from=build /a /a\n";
            assert.deepStrictEqual(rules(text), ["final-user"]);
        });
        for (const user of ["root", "0", "0:0", "root:agent"]) {
            it(`rejects USER ${user}`, () => {
                assert.deepStrictEqual(rules(`FROM debian:bookworm-20251229-slim\nUSER ${user}\n`), ["final-user"]);
            });
        }
        it("rejects switching back to root after a non-root user", () => {
            assert.deepStrictEqual(rules("FROM debian:bookworm-20251229-slim\nUSER 1000\nRUN true\nUSER root\n"), ["final-user"]);
        });
        it("rejects a USER from an ARG without a default, and resolves one with a default", () => {
            assert.deepStrictEqual(rules("FROM debian:bookworm-20251229-slim\nARG UID\nUSER ${UID}\n"), ["final-user"]);
            assert.deepStrictEqual(rules("FROM debian:bookworm-20251229-slim\nARG UID=0\nUSER $UID\n"), ["final-user"]);
            assert.deepStrictEqual(rules("FROM debian:bookworm-20251229-slim\nARG UID=1000\nUSER $UID:$UID\n"), []);
        });
        it("accepts numeric and named non-root users", () => {
            assert.deepStrictEqual(rules("FROM debian:bookworm-20251229-slim\nUSER 1000:1000\n"), []);
            assert.deepStrictEqual(rules("FROM debian:bookworm-20251229-slim\nUSER agent\n"), []);
        });
    });

    describe("apt-get", () => {
        it("rejects an install without --no-install-recommends", () => {
            const text = GOOD.replace("install -y --no-install-recommends", "install -y");
            assert.deepStrictEqual(rules(text), ["apt-no-recommends"]);
        });
        it("checks every install of a RUN, including `apt install` and installs fed by xargs", () => {
            const text = "FROM debian:bookworm-20251229-slim\n" +
                "RUN apt-get update && xargs apt-get install -y --no-install-recommends < p.txt \\\n" +
                " && if true; then apt install -y sudo; fi && rm -rf /var/lib/apt/lists/*\nUSER 1000\n";
            const findings = lintDockerfile(text);
            assert.deepStrictEqual(findings.map((f) => f.rule), ["apt-no-recommends"]);
            assert.match(findings[0].message, /apt install -y sudo/);
        });
        it("rejects an install that leaves /var/lib/apt/lists in the layer", () => {
            const text = GOOD.replace(" \\\n && rm -rf /var/lib/apt/lists/*", "");
            assert.deepStrictEqual(rules(text), ["apt-lists-cleanup"]);
        });
        it("rejects a cleanup in a later RUN (the lists stay in the earlier layer)", () => {
            const text = GOOD.replace(" \\\n && rm -rf /var/lib/apt/lists/*", "\nRUN rm -rf /var/lib/apt/lists/*");
            assert.deepStrictEqual(rules(text), ["apt-lists-cleanup"]);
        });
        it("accepts a cache mount of the lists instead of a cleanup, and heredoc RUNs", () => {
            const cached = "FROM debian:bookworm-20251229-slim\n" +
                "RUN --mount=type=cache,target=/var/lib/apt/lists apt-get update && apt-get install -y --no-install-recommends git\nUSER 1000\n";
            assert.deepStrictEqual(rules(cached), []);
            const heredoc = "FROM debian:bookworm-20251229-slim\nRUN <<EOF\napt-get update\napt-get install -y git\nEOF\nUSER 1000\n";
            assert.deepStrictEqual(rules(heredoc), ["apt-no-recommends", "apt-lists-cleanup"]);
        });
        it("ignores RUNs that do not install", () => {
            assert.deepStrictEqual(rules("FROM debian:bookworm-20251229-slim\nRUN apt-get update\nRUN echo install\nUSER 1000\n"), []);
        });
    });

    describe("add-remote", () => {
        for (const source of ["https://example.com/tool.tar.gz", "http://example.com/x", "https://github.com/o/r.git#v1"]) {
            it(`rejects ADD ${source}`, () => {
                const text = `FROM debian:bookworm-20251229-slim\nADD ${source} /opt/\nUSER 1000\n`;
                assert.deepStrictEqual(rules(text), ["add-remote"]);
            });
        }
        it("rejects the JSON form too, and accepts local sources", () => {
            assert.deepStrictEqual(rules('FROM debian:bookworm-20251229-slim\nADD ["https://example.com/a", "/a"]\nUSER 1000\n'), ["add-remote"]);
            assert.deepStrictEqual(rules("FROM debian:bookworm-20251229-slim\nADD --chown=1000 vendor.tar.gz /opt/\nUSER 1000\n"), []);
        });
    });

    describe("secret-literal", () => {
        const bad = [
            "ENV API_TOKEN=abc123",
            "ENV DB_PASSWORD \"hunter2\"",
            "ENV A=1 GITEA_TOKEN='x'",
            "ARG REGISTRY_PASSWORD=changeme",
            "ARG anthropicApiKey=sk-ant-xyz",
            "ENV AWS_SECRET_ACCESS_KEY=abc",
        ];
        for (const line of bad) {
            it(`rejects ${line}`, () => {
                assert.deepStrictEqual(rules(`FROM debian:bookworm-20251229-slim\n${line}\nUSER 1000\n`), ["secret-literal"]);
            });
        }
        it("accepts secret locations, build-arg references, ARGs without a value and look-alike names", () => {
            const text = [
                "FROM debian:bookworm-20251229-slim",
                "ARG GITHUB_TOKEN",
                "ARG AGENT_PASSWORDLESS_SUDO=false",
                "ENV MCP_AUTH_TOKEN_FILE=/var/run/secrets/agent/mcp/mcp-token TOKEN_URL=https://auth.example.com/token",
                "ENV NPM_TOKEN=${NPM_TOKEN}",
                "ENV KEYBOARD_LAYOUT=us MONKEY=1",
                "USER 1000",
            ].join("\n");
            assert.deepStrictEqual(lintDockerfile(text), []);
        });
        it("tells secret names by whole words", () => {
            assert.ok(namesSecret("VNC_PASSWORD"));
            assert.ok(namesSecret("privateKey"));
            assert.ok(!namesSecret("PASSWORDLESS"));
            assert.ok(!namesSecret("VNC_PASSWORD_FILE"));
            assert.ok(!namesSecret("KEY"));
        });
    });

    describe("parser", () => {
        it("joins continuations, skips comments inside them and honours the escape directive", () => {
            const parsed = parseDockerfile("# escape=`\nFROM debian:bookworm-20251229-slim\nRUN echo a `\n# note\n  && echo b\nUSER 1000\n");
            assert.deepStrictEqual(parsed.map((i) => [i.keyword, i.line]), [["FROM", 2], ["RUN", 3], ["USER", 6]]);
            assert.match(parsed[1].args, /echo a\s+&& echo b/);
        });
        it("reports a file without FROM", () => {
            assert.deepStrictEqual(rules("RUN true\n"), ["from-pinned"]);
        });
    });

    describe("the project's images", () => {
        const folders = fs.readdirSync(path.join(REPO_ROOT, "images"))
            .filter((folder) => fs.existsSync(path.join(REPO_ROOT, "images", folder, "Dockerfile")));
        it("has Dockerfiles to lint", () => {
            assert.ok(folders.length >= 3, `found ${folders.join(", ")}`);
        });
        for (const folder of folders) {
            it(`images/${folder}/Dockerfile passes`, () => {
                const findings = lintDockerfile(fs.readFileSync(path.join(REPO_ROOT, "images", folder, "Dockerfile"), "utf8"));
                assert.deepStrictEqual(findings, []);
            });
        }
    });
});
