/**
 * The build service's objects under Pulumi mocks (issue 21): a BuildKit daemon per agent in the build
 * namespace, its process sandbox (or the fallback), mutual TLS with a CA per agent whose certificates go
 * Vault → ExternalSecret → mounted files, and the daemon image deployed by digest.
 * (What the daemons can reach: tests/buildNetwork.test.ts; the daemons running: tests/build-isolation.)
 */
import * as assert from "node:assert";
import { ROOTLESS_CAPABILITIES, SANDBOX_CAPABILITIES } from "../../components/contract/buildService";
import { type ProgramRun, SECRET_SIG, runProgram } from "../harness/program";
import { copy, stackConfig } from "../harness/stackFile";

const AGENTS = ["devbot", "databot"];

function withBuilds(buildService: Record<string, unknown> = {}) {
    const config = copy(stackConfig("test-cluster"));
    config.platform.buildService = { enabled: true, ...buildService };
    return config;
}

describe("images: the build service (a BuildKit daemon per agent)", () => {
    let run: ProgramRun;
    before(async () => {
        run = await runProgram({ config: withBuilds() });
    });
    const objects = (kind: string, namespace = "agent-builds") =>
        run.kubernetesObjects.filter((o) => o.kind === kind && o.metadata.namespace === namespace);
    const daemonPod = (r: ProgramRun, agent: string) =>
        r.kubernetesObjects.find((o) => o.kind === "Deployment" && o.metadata.name === `${agent}-buildkitd`)?.spec
            .template.spec;

    it("runs one daemon per agent, each with its own Service, policy and state, in a privileged namespace of the platform", () => {
        const namespace = run.kubernetesObjects.find(
            (o) => o.kind === "Namespace" && o.metadata.name === "agent-builds",
        );
        assert.strictEqual(namespace?.metadata.labels["pod-security.kubernetes.io/enforce"], "privileged");
        assert.ok(!("persistent-agents.dev/agent" in namespace.metadata.labels), "not an agent namespace");
        for (const kind of ["Deployment", "Service"]) {
            assert.deepStrictEqual(
                objects(kind)
                    .map((o) => o.metadata.name)
                    .sort(),
                ["databot-buildkitd", "devbot-buildkitd"],
            );
        }
        assert.deepStrictEqual(
            objects("NetworkPolicy")
                .map((o) => o.metadata.name)
                .sort(),
            ["databot-buildkitd", "default-deny", "devbot-buildkitd"],
        );
        for (const agent of AGENTS) {
            const deployment = objects("Deployment").find((o) => o.metadata.name === `${agent}-buildkitd`)!;
            assert.strictEqual(deployment.spec.template.metadata.labels["persistent-agents.dev/agent"], agent);
            assert.deepStrictEqual(deployment.spec.strategy, { type: "Recreate" });
            const pod = deployment.spec.template.spec;
            assert.strictEqual(pod.automountServiceAccountToken, false);
            assert.ok(
                pod.volumes.some((v: any) => v.name === "state" && v.emptyDir),
                "state on an emptyDir of its own",
            );
            const service = objects("Service").find((o) => o.metadata.name === `${agent}-buildkitd`)!;
            assert.deepStrictEqual(service.spec.selector, deployment.spec.selector.matchLabels);
        }
    });

    it("runs the process sandbox by default: a user namespace, root only inside it, the listed capabilities", () => {
        for (const agent of AGENTS) {
            const pod = daemonPod(run, agent);
            assert.strictEqual(pod.hostUsers, false);
            const [daemon] = pod.containers;
            assert.ok(!daemon.args.includes("--oci-worker-no-process-sandbox"), "the process sandbox is off");
            assert.deepStrictEqual(daemon.command, ["/usr/bin/tini", "--", "buildkitd"]);
            assert.deepStrictEqual(daemon.securityContext, {
                runAsUser: 0,
                runAsGroup: 0,
                runAsNonRoot: false,
                allowPrivilegeEscalation: false,
                capabilities: { drop: ["ALL"], add: SANDBOX_CAPABILITIES },
                seccompProfile: { type: "Unconfined" },
                appArmorProfile: { type: "Unconfined" },
            });
            assert.strictEqual(daemon.securityContext.privileged, undefined);
        }
    });

    it("falls back, when asked, to rootless BuildKit without the sandbox (the documented risk)", async () => {
        const fallback = await runProgram({ config: withBuilds({ processSandbox: false }) });
        const pod = daemonPod(fallback, "devbot");
        assert.strictEqual(pod.hostUsers, undefined);
        const [daemon] = pod.containers;
        assert.ok(daemon.args.includes("--oci-worker-no-process-sandbox"));
        assert.deepStrictEqual(daemon.command, ["/usr/bin/tini", "--", "rootlesskit", "buildkitd"]);
        assert.strictEqual(daemon.securityContext.runAsUser, 1000);
        // newuidmap/newgidmap's file capabilities need these in the bounding set, and no no_new_privs.
        assert.deepStrictEqual(daemon.securityContext.capabilities, { drop: ["ALL"], add: ROOTLESS_CAPABILITIES });
        assert.deepStrictEqual(ROOTLESS_CAPABILITIES, ["SETGID", "SETUID"]);
        assert.strictEqual(daemon.securityContext.allowPrivilegeEscalation, true);
    });

    it("requires a client certificate of the agent's own CA, mounted from the ExternalSecret of its daemon", () => {
        for (const agent of AGENTS) {
            const [daemon] = daemonPod(run, agent).containers;
            const flag = (name: string) => daemon.args[daemon.args.indexOf(name) + 1];
            assert.strictEqual(flag("--tlscacert"), "/etc/buildkit/tls/ca.pem");
            assert.strictEqual(flag("--tlscert"), "/etc/buildkit/tls/cert.pem");
            assert.strictEqual(flag("--tlskey"), "/etc/buildkit/tls/key.pem");
            // Only TLS on the network; the plain socket is the probes', inside the container.
            const addresses = daemon.args.flatMap((a: string, i: number) =>
                a === "--addr" ? [daemon.args[i + 1]] : [],
            );
            assert.deepStrictEqual(addresses, ["tcp://0.0.0.0:1234", "unix:///run/buildkit/buildkitd.sock"]);
            const external = objects("ExternalSecret").find((o) => o.metadata.name === `${agent}-buildkitd-tls`)!;
            assert.deepStrictEqual(external.spec.secretStoreRef, { kind: "SecretStore", name: "build-service-vault" });
            assert.deepStrictEqual(
                external.spec.data.map((d: any) => [d.remoteRef.key, d.remoteRef.property]),
                [
                    [`agents/${agent}/build-daemon`, "ca-cert"],
                    [`agents/${agent}/build-daemon`, "server-cert"],
                    [`agents/${agent}/build-daemon`, "server-key"],
                ],
            );
            const tlsVolume = daemonPod(run, agent).volumes.find((v: any) => v.name === "tls");
            assert.strictEqual(tlsVolume.secret.secretName, `${agent}-buildkitd-tls`);
        }
    });

    it("issues a CA per agent, server and client certificates of distinct usages, and writes each side where only it is read", () => {
        const cas = run.byType("tls:index/selfSignedCert:SelfSignedCert");
        assert.deepStrictEqual(cas.map((c) => c.name).sort(), ["databot-build-ca", "devbot-build-ca"]);
        for (const ca of cas) {
            assert.strictEqual(ca.inputs.isCaCertificate, true);
        }
        const signed = run.byType("tls:index/locallySignedCert:LocallySignedCert");
        const uses = (name: string) => signed.find((c) => c.name === name)!.inputs.allowedUses;
        assert.deepStrictEqual(uses("devbot-build-server-cert"), [
            "digital_signature",
            "key_encipherment",
            "server_auth",
        ]);
        assert.deepStrictEqual(uses("devbot-build-client-cert"), [
            "digital_signature",
            "key_encipherment",
            "client_auth",
        ]);
        const requests = run.byType("tls:index/certRequest:CertRequest");
        assert.deepStrictEqual(
            requests.find((r) => r.name === "devbot-build-server-request")!.inputs.dnsNames[0],
            "devbot-buildkitd.agent-builds.svc.cluster.local",
        );
        // The daemon side: its own Vault path; the client side: the agent's generated path and Secret.
        const paths = run
            .byType("vault:kv/secretV2:SecretV2")
            .map((s) => s.inputs.name)
            .sort();
        assert.deepStrictEqual(paths, [
            "agents/databot/build-daemon",
            "agents/databot/generated",
            "agents/devbot/build-daemon",
            "agents/devbot/generated",
        ]);
        const json = (name: string) => {
            const data = run.one("vault:kv/secretV2:SecretV2", name).inputs.dataJson;
            return JSON.parse(data[SECRET_SIG] ? data.value : data);
        };
        // The mock's stand-in PEMs name the resource they came from: each value from the right certificate.
        const generated = json("devbot-generated");
        assert.match(generated["buildkit-ca-cert"], /\ndevbot-build-ca\n/);
        assert.match(generated["buildkit-client-cert"], /\ndevbot-build-client-cert\n/);
        assert.match(generated["buildkit-client-key"], /\ndevbot-build-client-key\n/);
        const daemonSide = json("devbot-build-daemon");
        assert.match(daemonSide["ca-cert"], /\ndevbot-build-ca\n/);
        assert.match(daemonSide["server-cert"], /\ndevbot-build-server-cert\n/);
        assert.match(daemonSide["server-key"], /\ndevbot-build-server-key\n/);
        assert.ok(!("server-key" in generated) && !("buildkit-client-key" in daemonSide), "each side only its own key");
        assert.doesNotMatch(JSON.stringify(json("databot-build-daemon")), /devbot/, "databot's daemon gets devbot's");
        const credentials = run.one("kubernetes:external-secrets.io/v1:ExternalSecret", "devbot-credentials").inputs;
        for (const key of ["buildkit-ca.pem", "buildkit-cert.pem", "buildkit-key.pem"]) {
            assert.ok(key in credentials.spec.target.template.data, `${key} in devbot's Secret`);
        }
        const policy = run.one("vault:index/policy:Policy", "build-service-vault-policy").inputs;
        assert.strictEqual(policy.policy, 'path "secret/data/agents/+/build-daemon" {\n  capabilities = ["read"]\n}\n');
        const role = run.one("vault:kubernetes/authBackendRole:AuthBackendRole", "build-service-vault-role").inputs;
        assert.deepStrictEqual(role.boundServiceAccountNamespaces, ["agent-builds"]);
        assert.deepStrictEqual(role.boundServiceAccountNames, ["build-service-secrets"]);
    });

    it("deploys the daemon image built from images/buildkitd by digest, or the prebuilt digest the config names", async () => {
        const [daemon] = daemonPod(run, "devbot").containers;
        assert.match(String(daemon.image), /@sha256:[0-9a-f]{64}$/);
        assert.ok(run.byType("docker-build:index:Image").some((i) => i.name === "images-buildkitd"));
        const digest = `registry.example.com/agents/buildkitd@sha256:${"a".repeat(64)}`;
        const config = withBuilds();
        config.platform.images = { buildkitd: digest };
        const prebuilt = await runProgram({ config });
        assert.strictEqual(daemonPod(prebuilt, "devbot").containers[0].image, digest);
        assert.ok(!prebuilt.byType("docker-build:index:Image").some((i) => i.name === "images-buildkitd"));
    });

    it("is deployed only when platform.buildService.enabled", async () => {
        const disabled = await runProgram({ config: stackConfig("test-cluster") });
        assert.ok(!disabled.kubernetesObjects.some((o) => o.metadata.namespace === "agent-builds"));
        assert.deepStrictEqual(disabled.byType("tls:index/selfSignedCert:SelfSignedCert"), []);
        assert.strictEqual(disabled.outputs.buildServiceNamespace, null);
        assert.strictEqual(run.outputs.buildServiceNamespace, "agent-builds");
        assert.strictEqual(
            run.outputs.agentEndpoints.devbot.buildkitHost,
            "tcp://devbot-buildkitd.agent-builds.svc.cluster.local:1234",
        );
    });
});
