/** planAgent, the pure function that decides an agent once: unit tests beside the golden files. */
import * as assert from "node:assert";
import { type AgentSpec, type PlatformSpec, parseStackConfig } from "../components/config";
import { PORTS } from "../components/contract/pod";
import { type AgentPlan, planAgent, planStack } from "../components/plan";
import { copy, stackConfig } from "./harness/stackFile";

const testCluster = stackConfig("test-cluster");

function specs(): { platform: PlatformSpec; devbot: AgentSpec; databot: AgentSpec } {
    const { platform, agents } = parseStackConfig({
        values: copy(testCluster),
        isSecret: () => false,
        stackName: "test-cluster",
    });
    return { platform, devbot: agents[0], databot: agents[1] };
}

const container = (plan: AgentPlan, name: string) => plan.computer.containers.find((c) => c.name === name);

describe("plan: planAgent", () => {
    it("is pure: the same spec gives the same plan, and the spec is left as it was", () => {
        const { platform, devbot } = specs();
        const before = JSON.stringify(devbot);
        assert.deepStrictEqual(planAgent(devbot, platform), planAgent(devbot, platform));
        assert.strictEqual(JSON.stringify(devbot), before);
    });

    it("gives each MCP server's container a metrics port that stays out of the Service and the MCP ports", () => {
        const { platform, devbot, databot } = specs();
        const plan = planAgent(devbot, platform);
        assert.deepStrictEqual(
            container(plan, "shell")?.ports.map((p) => [p.name, p.port]),
            [
                ["shell-mcp", PORTS.shell],
                ["shell-metrics", 9101],
            ],
        );
        assert.deepStrictEqual(
            container(plan, "computer-control")?.ports.map((p) => [p.name, p.port]),
            [
                ["computer-mcp", PORTS.computerControl],
                ["control-metrics", 9102],
            ],
        );
        assert.deepStrictEqual(
            container(plan, "shell")?.env.find((e) => e.name === "METRICS_PORT"),
            { name: "METRICS_PORT", value: "9101" },
        );
        assert.deepStrictEqual(
            plan.computer.servicePorts.map((p) => p.port),
            [PORTS.vnc, PORTS.computerControl, PORTS.shell],
        );
        assert.deepStrictEqual(plan.network.mcpPorts, [PORTS.computerControl, PORTS.shell]);
        assert.deepStrictEqual(planAgent(databot, platform).network.mcpPorts, [PORTS.shell]);
    });

    it("wires the shell to the agent's own BuildKit daemon and certificate folder only when the build service is on", () => {
        const { platform, devbot, databot } = specs();
        for (const agent of [devbot, databot]) {
            assert.strictEqual(
                container(planAgent(agent, platform), "shell")?.env.find((e) => e.name === "BUILDKIT_HOST"),
                undefined,
            );
        }
        const values = copy(testCluster);
        values.platform.buildService = { enabled: true, namespace: "team-builds" };
        const withBuilds = parseStackConfig({ values, isSecret: () => false, stackName: "test-cluster" });
        const stack = planStack(withBuilds);
        for (const plan of stack.agents) {
            const address = `tcp://${plan.agent}-buildkitd.team-builds.svc.cluster.local:1234`;
            assert.strictEqual(plan.buildDaemon?.address, address);
            for (const [variable, value] of [
                ["BUILDKIT_HOST", address],
                ["BUILDKIT_TLS_DIR", "/var/run/secrets/agent/buildkit"],
            ]) {
                assert.deepStrictEqual(
                    plan.computer.containers.map((c) => c.env.filter((e) => e.name === variable).map((e) => e.value)),
                    plan.computer.containers.map((c) => (c.name === "shell" ? [value] : [])),
                    `${variable} on the shell container only`,
                );
            }
            // The three certificate files in one folder (buildctl --tlsdir), one mount of one volume.
            const shell = plan.computer.containers.find((c) => c.name === "shell")!;
            const tls = shell.mounts.filter((m) => m.path === "/var/run/secrets/agent/buildkit");
            assert.strictEqual(tls.length, 1);
            assert.deepStrictEqual(plan.computer.volumes.find((v) => v.name === tls[0].volume)?.source, {
                secret: {
                    name: `${plan.agent}-credentials`,
                    items: [
                        { key: "buildkit-ca.pem", file: "ca.pem" },
                        { key: "buildkit-cert.pem", file: "cert.pem" },
                        { key: "buildkit-key.pem", file: "key.pem" },
                    ],
                },
            });
            const buildRule = plan.network.computerEgress.filter((rule) => rule.namespace === "team-builds");
            assert.deepStrictEqual(
                buildRule.map((rule) => [rule.ports, rule.protocol]),
                [[[1234], "TCP"]],
            );
        }
    });

    it("mounts each credential file into exactly the containers that read it, with a volume for each", () => {
        const { platform, devbot, databot } = specs();
        for (const plan of [planAgent(devbot, platform), planAgent(databot, platform)]) {
            const volumes = new Set(plan.computer.volumes.map((v) => v.name));
            for (const c of plan.computer.containers) {
                for (const mount of c.mounts) {
                    assert.ok(
                        volumes.has(mount.volume),
                        `${plan.agent}/${c.name} mounts ${mount.volume}, which is no volume`,
                    );
                }
            }
            const mountedBy = (volume: string) =>
                plan.computer.containers.filter((c) => c.mounts.some((m) => m.volume === volume)).map((c) => c.name);
            assert.deepStrictEqual(
                mountedBy("mcp-token"),
                plan.agent === "devbot" ? ["computer-control", "shell"] : ["shell"],
            );
            assert.deepStrictEqual(
                mountedBy("git-credentials"),
                plan.agent === "devbot" ? ["desktop", "shell"] : ["shell"],
            );
            assert.deepStrictEqual(mountedBy("registry-auth"), plan.agent === "devbot" ? ["shell"] : []);
            // Every variable the Secret's templates use is fetched, and every fetched one is used.
            const templates = Object.values(plan.credentials.secretKeys).join("\n");
            const used = new Set(
                [...templates.matchAll(/\.(\w+)/g)]
                    .map((m) => m[1])
                    .filter((v) => plan.credentials.fetched.some((f) => f.variable === v)),
            );
            assert.deepStrictEqual([...used].sort(), plan.credentials.fetched.map((f) => f.variable).sort());
        }
    });

    it("adds the browser view behind its switch: container, token, VNC password, viewer port, quota and image", () => {
        const { platform, devbot } = specs();
        const without = planAgent(devbot, platform);
        assert.strictEqual(container(without, "browser-view"), undefined);
        assert.ok(!without.images.includes("browserView"));

        const plan = planAgent(
            { ...devbot, desktop: { ...devbot.desktop, browserView: { enabled: true, mode: "view-only" } } },
            platform,
        );
        const view = container(plan, "browser-view")!;
        assert.deepStrictEqual(view.ports, [{ name: "browser-view", port: 6080, purpose: "browser" }]);
        assert.deepStrictEqual(
            view.mounts.map((m) => m.volume),
            ["browser-view-mode", "vnc-password", "browser-view-token"],
        );
        assert.deepStrictEqual(Object.fromEntries(view.env.map((e) => [e.name, e.value])), {
            AGENT_NAME: "devbot",
            HOST: "0.0.0.0",
            PORT: "6080",
            VNC_HOST: "127.0.0.1",
            VNC_PORT: "5900",
            VNC_PASSWORD_FILE: "/var/run/secrets/agent/vnc/vnc-password",
            BROWSER_VIEW_MODE_FILE: "/etc/browser-view/mode",
            BROWSER_VIEW_TOKEN_FILE: "/var/run/secrets/agent/browser-view/browser-view-token",
        });
        assert.strictEqual(view.allowPrivilegeEscalation, false);
        assert.ok(plan.computer.servicePorts.some((p) => p.port === 6080));
        assert.deepStrictEqual(plan.network.viewerPorts, [PORTS.vnc, 6080]);
        assert.ok(
            plan.credentials.fetched.some(
                (f) => f.variable === "browserViewToken" && f.vaultPath.endsWith("/generated"),
            ),
        );
        assert.ok(plan.images.includes("browserView"));
        // 50m more CPU requested than without it (the browser view's default figures).
        assert.strictEqual(plan.quota.hard["requests.cpu"], "850m");
        assert.strictEqual(without.quota.hard["requests.cpu"], "800m");
    });

    it("names the Vault policy and role per mount, prefix and agent, and reads only the agent's paths", () => {
        const { platform, devbot } = specs();
        const access = planAgent(devbot, platform).vaultAccess.perAgent?.policyAndRole;
        assert.strictEqual(access?.policyName, "agent.secret.agents.devbot");
        assert.match(access.policy, /path "secret\/data\/agents\/devbot\/provided"/);
        assert.match(access.policy, /path "secret\/data\/agents\/devbot\/generated"/);
    });

    it("takes the operator's secrets from the stack's own path when they come from config", () => {
        const { platform, devbot } = specs();
        const plan = planAgent(
            { ...devbot, secrets: { source: "config", modelApiKey: "k", giteaToken: "t", harborPassword: "p" } },
            platform,
        );
        assert.ok(plan.credentials.fetched.every((f) => f.vaultPath === "agents/devbot/generated"));
        assert.deepStrictEqual(
            plan.credentials.vaultWrite?.values.filter((w) => "fromConfig" in w),
            [
                { vaultField: "model-api-key", fromConfig: "k" },
                { vaultField: "gitea-token", fromConfig: "t" },
                { vaultField: "harbor-password", fromConfig: "p" },
            ],
        );
    });
});

describe("plan: sudo and screenshots", () => {
    it("adds back exactly CHOWN, SETGID and SETUID, and only where sudo runs (desktop, shell) for an agent with sudo", () => {
        const { platform, devbot } = specs();
        const capabilities = (plan: AgentPlan) =>
            Object.fromEntries(plan.computer.containers.map((c) => [c.name, c.addCapabilities]));
        assert.deepStrictEqual(capabilities(planAgent({ ...devbot, sudo: true }, platform)), {
            desktop: ["CHOWN", "SETGID", "SETUID"],
            "computer-control": [],
            shell: ["CHOWN", "SETGID", "SETUID"],
        });
        assert.deepStrictEqual(capabilities(planAgent(devbot, platform)), {
            desktop: [],
            "computer-control": [],
            shell: [],
        });
    });

    it("passes the screenshot format to the computer-control sidecar, with the quality only for JPEG", () => {
        const { platform, devbot } = specs();
        const env = (screenshots: { format: "png" | "jpeg"; quality: number }) =>
            container(
                planAgent({ ...devbot, desktop: { ...devbot.desktop, screenshots } }, platform),
                "computer-control",
            )!.env.filter((e) => e.name.startsWith("SCREENSHOT_"));
        assert.deepStrictEqual(env({ format: "png", quality: 85 }), [{ name: "SCREENSHOT_FORMAT", value: "png" }]);
        assert.deepStrictEqual(env({ format: "jpeg", quality: 70 }), [
            { name: "SCREENSHOT_FORMAT", value: "jpeg" },
            { name: "SCREENSHOT_QUALITY", value: "70" },
        ]);
    });
});
