/**
 * The build service's objects (components/resources/buildService.ts) under Pulumi mocks: the weakening BuildKit
 * needs stays in its own namespace, and only agents' computer pods reach the daemon.
 */
import * as assert from "assert";
import * as path from "path";
import { ProgramRun, runProgram } from "../harness/program";
import { copy, stackConfig } from "../harness/stackFile";

describe("images: the build service (BuildKit for agents' image builds)", () => {
    let run: ProgramRun;
    before(async () => {
        run = await runProgram({ config: {}, program: path.join(__dirname, "fixtures", "buildServiceProgram.ts") });
    });
    const object = (kind: string) => {
        const found = run.kubernetesObjects.filter((o) => o.kind === kind);
        assert.strictEqual(found.length, 1, `one ${kind}`);
        return found[0];
    };

    it("runs rootless BuildKit in a namespace of its own, the only place with unconfined profiles", () => {
        const namespace = object("Namespace");
        assert.strictEqual(namespace.metadata.name, "agent-builds");
        assert.strictEqual(namespace.metadata.labels["pod-security.kubernetes.io/enforce"], "privileged");
        assert.ok(
            !("persistent-agents.dev/agent" in namespace.metadata.labels),
            "not an agent namespace: agents cannot run pods here",
        );
        const deployment = object("Deployment");
        assert.strictEqual(deployment.metadata.namespace, "agent-builds");
        const pod = deployment.spec.template.spec;
        assert.strictEqual(pod.automountServiceAccountToken, false);
        const [daemon] = pod.containers;
        assert.match(daemon.image, /^docker\.io\/moby\/buildkit:v[0-9.]+-rootless$/);
        assert.deepStrictEqual(daemon.args, ["--addr", "tcp://0.0.0.0:1234", "--oci-worker-no-process-sandbox"]);
        assert.strictEqual(daemon.securityContext.runAsUser, 1000, "rootless: not root, not privileged");
        assert.strictEqual(daemon.securityContext.privileged, undefined);
        assert.strictEqual(daemon.securityContext.seccompProfile.type, "Unconfined");
    });

    it("admits only agents' computer pods, on the daemon's port", () => {
        const policy = object("NetworkPolicy");
        assert.deepStrictEqual(policy.spec.policyTypes, ["Ingress", "Egress"]);
        assert.strictEqual(policy.spec.ingress.length, 1);
        const [from] = policy.spec.ingress[0].from;
        assert.deepStrictEqual(from.namespaceSelector, {
            matchExpressions: [{ key: "persistent-agents.dev/agent", operator: "Exists" }],
        });
        assert.deepStrictEqual(from.podSelector.matchLabels, {
            "app.kubernetes.io/name": "persistent-agent",
            "app.kubernetes.io/component": "computer",
        });
        assert.deepStrictEqual(policy.spec.ingress[0].ports, [{ port: 1234, protocol: "TCP" }]);
        assert.strictEqual(object("Service").spec.ports[0].port, 1234);
        assert.strictEqual(run.outputs.address, "tcp://buildkitd.agent-builds.svc.cluster.local:1234");
    });

    it("is deployed by the stack only when platform.buildService.enabled, in the configured namespace", async () => {
        const withService = copy(stackConfig("test-cluster"));
        withService.platform.buildService = { enabled: true, namespace: "builds" };
        const enabled = await runProgram({ config: withService });
        const namespaces = enabled.kubernetesObjects.filter((o) => o.kind === "Namespace").map((o) => o.metadata.name);
        assert.ok(namespaces.includes("builds"), namespaces.join(", "));
        assert.strictEqual(enabled.outputs.buildServiceAddress, "tcp://buildkitd.builds.svc.cluster.local:1234");
        const disabled = await runProgram({ config: stackConfig("test-cluster") });
        assert.ok(!disabled.kubernetesObjects.some((o) => o.kind === "Deployment" && o.metadata.name === "buildkitd"));
        assert.strictEqual(disabled.outputs.buildServiceAddress, null);
    });
});
