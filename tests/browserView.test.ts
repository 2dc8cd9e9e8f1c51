/**
 * The browser view in the stack (components/render/browserView.ts and the plan's container): the objects it
 * adds, who can reach port 6080, the token's rotation, and the outputs.
 */
import * as assert from "node:assert";
import { ConfigError, parseStackConfig } from "../components/config";
import { type Cluster, type Endpoint, allowed } from "./harness/networkPolicyEvaluator";
import { type ProgramRun, runProgram } from "./harness/program";
import { clusterOf as clusterOfRun, computerPod, wakerPod } from "./harness/programCluster";
import { copy, stackConfig } from "./harness/stackFile";

const testCluster = stackConfig("test-cluster");
const TYPES = {
    deployment: "kubernetes:apps/v1:Deployment",
    service: "kubernetes:core/v1:Service",
    configMap: "kubernetes:core/v1:ConfigMap",
    ingress: "kubernetes:networking.k8s.io/v1:Ingress",
    policy: "kubernetes:networking.k8s.io/v1:NetworkPolicy",
    externalSecret: "kubernetes:external-secrets.io/v1:ExternalSecret",
    password: "random:index/randomPassword:RandomPassword",
};

const computer = computerPod;
const viewer: Endpoint = { namespace: "vnc-viewers", labels: { app: "guacamole" } };
const ingressController: Endpoint = {
    namespace: "ingress-nginx",
    labels: { "app.kubernetes.io/name": "ingress-nginx" },
};
const stranger: Endpoint = { namespace: "default", labels: { app: "curious" } };

/** test-cluster with devbot's browser view on; `route` adds platform.browserView (host, annotations, TLS). */
function config(options: { route?: boolean; mode?: string; rotation?: number } = {}): Record<string, any> {
    const values = copy(testCluster);
    values.platform.network.vncViewers = { namespaces: ["vnc-viewers"], cidrs: [] };
    const devbot = values.agents.find((agent: any) => agent.name === "devbot");
    devbot.desktop.browserView = { enabled: true, ...(options.mode ? { mode: options.mode } : {}) };
    if (options.rotation !== undefined) {
        devbot.rotation = { browserViewToken: options.rotation };
    }
    if (options.route) {
        values.platform.browserView = {
            host: "desktops.example.com",
            ingressClassName: "nginx",
            tlsSecretName: "desktops-tls",
            annotations: {
                "nginx.ingress.kubernetes.io/auth-url": "https://oauth2.example.com/oauth2/auth",
                "nginx.ingress.kubernetes.io/auth-signin":
                    "https://oauth2.example.com/oauth2/start?rd=$escaped_request_uri",
            },
        };
    }
    return values;
}

/** The config's problems, one a line; fails when it is accepted. */
function problems(values: Record<string, any>): string {
    try {
        parseStackConfig({
            values: { agents: values.agents, platform: values.platform },
            isSecret: () => false,
            stackName: "test-cluster",
        });
    } catch (error) {
        assert.ok(error instanceof ConfigError);
        return error.problems.join("\n");
    }
    return assert.fail("accepted");
}

/** The run's policies and namespaces, with the viewers', the ingress controller's and a stranger's. */
const clusterOf = (run: ProgramRun): Cluster => clusterOfRun(run, ["default", "vnc-viewers", "ingress-nginx"]);

function browserViewContainer(run: ProgramRun, agent = "devbot"): any {
    const deployment = run.byType(TYPES.deployment).find((d) => d.inputs.metadata.name === `${agent}-computer`)!;
    return {
        spec: deployment.inputs.spec.template.spec,
        container: deployment.inputs.spec.template.spec.containers.find((c: any) => c.name === "browser-view"),
    };
}

describe("browser view in the stack", () => {
    let routed: ProgramRun;
    let plain: ProgramRun;
    before(async () => {
        routed = await runProgram({ config: config({ route: true, mode: "interactive" }) });
        plain = await runProgram({ config: config() });
    });

    it("adds the container with the token, the VNC password and the mode file, all mounted as directories", () => {
        const { spec, container } = browserViewContainer(plain);
        assert.ok(container, "no browser-view container");
        const env = Object.fromEntries(container.env.map((e: any) => [e.name, e.value]));
        assert.strictEqual(env.BROWSER_VIEW_MODE_FILE, "/etc/browser-view/mode");
        assert.strictEqual(env.BROWSER_VIEW_TOKEN_FILE, "/var/run/secrets/agent/browser-view/browser-view-token");
        assert.strictEqual(env.VNC_PASSWORD_FILE, "/var/run/secrets/agent/vnc/vnc-password");
        assert.ok(container.volumeMounts.every((m: any) => m.subPath === undefined && m.readOnly === true));
        const modeVolume = spec.volumes.find((v: any) => v.name === "browser-view-mode");
        assert.deepStrictEqual(modeVolume.configMap, {
            name: "devbot-browser-view",
            items: [{ key: "mode", path: "mode" }],
        });
        assert.deepStrictEqual(container.ports, [{ name: "browser-view", containerPort: 6080 }]);
        assert.strictEqual(container.readinessProbe.httpGet.path, "/healthz");
        // databot has no desktop, hence no browser view.
        assert.strictEqual(browserViewContainer(plain, "databot").container, undefined);
    });

    it("writes the mode to the ConfigMap the container mounts, view-only by default", () => {
        const mode = (run: ProgramRun) =>
            run.byType(TYPES.configMap).find((c) => c.inputs.metadata.name === "devbot-browser-view")!.inputs.data.mode;
        assert.strictEqual(mode(plain), "view-only");
        assert.strictEqual(mode(routed), "interactive");
    });

    it("exposes port 6080 on the computer's Service", () => {
        const service = plain.byType(TYPES.service).find((s) => s.inputs.metadata.name === "devbot-computer")!;
        assert.ok(service.inputs.spec.ports.some((p: any) => p.port === 6080 && p.targetPort === "browser-view"));
    });

    it("generates the token in Vault, fetches it into the Secret, and rotates it with its own counter", async () => {
        const externalSecret = plain
            .byType(TYPES.externalSecret)
            .find((e) => e.inputs.metadata.name === "devbot-credentials")!;
        assert.strictEqual(
            externalSecret.inputs.spec.target.template.data["browser-view-token"],
            "{{ .browserViewToken }}",
        );
        assert.ok(
            externalSecret.inputs.spec.data.some(
                (d: any) => d.secretKey === "browserViewToken" && d.remoteRef.property === "browser-view-token",
            ),
        );
        const token = (run: ProgramRun) =>
            run.byType(TYPES.password).find((p) => p.name === "devbot-browser-view-token")!;
        const vnc = (run: ProgramRun) => run.byType(TYPES.password).find((p) => p.name === "devbot-vnc-password")!;
        assert.strictEqual(token(plain).inputs.length, 32);
        const rotated = await runProgram({ config: config({ rotation: 1 }) });
        assert.strictEqual(token(rotated).inputs.keepers.rotation, "1");
        assert.strictEqual(token(plain).inputs.keepers.rotation, "0");
        assert.deepStrictEqual(
            vnc(rotated).inputs.keepers,
            vnc(plain).inputs.keepers,
            "the VNC password must not rotate with it",
        );
        assert.match(
            rotated.byType(TYPES.externalSecret).find((e) => e.inputs.metadata.name === "devbot-credentials")!.inputs
                .metadata.annotations["persistent-agents.dev/rotation"] ?? "",
            /browser-view-token=1/,
        );
    });

    it("creates the Ingress with the operator's annotations only when platform.browserView.host is set", () => {
        assert.strictEqual(plain.byType(TYPES.ingress).length, 0);
        const [ingress] = routed.byType(TYPES.ingress).map((i) => i.inputs);
        assert.strictEqual(ingress.metadata.name, "devbot-browser-view");
        assert.strictEqual(ingress.metadata.namespace, "agent-devbot");
        assert.strictEqual(
            ingress.metadata.annotations["nginx.ingress.kubernetes.io/auth-url"],
            "https://oauth2.example.com/oauth2/auth",
        );
        assert.strictEqual(ingress.spec.ingressClassName, "nginx");
        assert.deepStrictEqual(ingress.spec.tls, [
            { hosts: ["devbot.desktops.example.com"], secretName: "desktops-tls" },
        ]);
        assert.deepStrictEqual(ingress.spec.rules, [
            {
                host: "devbot.desktops.example.com",
                http: {
                    paths: [
                        {
                            path: "/",
                            pathType: "Prefix",
                            backend: { service: { name: "devbot-computer", port: { name: "browser-view" } } },
                        },
                    ],
                },
            },
        ]);
    });

    it("lets only the configured viewers, and the ingress controller when a route exists, reach port 6080", () => {
        const withRoute = clusterOf(routed);
        const withoutRoute = clusterOf(plain);
        for (const cluster of [withRoute, withoutRoute]) {
            assert.ok(allowed(cluster, viewer, computer("devbot"), 6080), "a configured viewer opens the browser view");
            assert.ok(!allowed(cluster, stranger, computer("devbot"), 6080), "an unlisted namespace reaches 6080");
            assert.ok(
                !allowed(cluster, computer("databot"), computer("devbot"), 6080),
                "another agent's computer reaches 6080",
            );
        }
        assert.ok(
            allowed(withRoute, ingressController, computer("devbot"), 6080),
            "the ingress controller reaches the route's backend",
        );
        assert.ok(
            !allowed(withoutRoute, ingressController, computer("devbot"), 6080),
            "no route, no ingress controller",
        );
        for (const port of [5900, 8080, 8081]) {
            assert.ok(
                !allowed(withRoute, ingressController, computer("devbot"), port),
                `the ingress controller reaches ${port}`,
            );
        }
    });

    it("sends the route of an agent that sleeps to the waker, which the ingress controller reaches instead of 6080", async () => {
        const values = config({ route: true });
        values.platform.suspend = { enabled: true, idleAfter: "30m" };
        values.platform.apiServer = { cidrs: ["10.96.0.1/32"] };
        const sleeping = await runProgram({ config: values });
        const [ingress] = sleeping.byType(TYPES.ingress).map((i) => i.inputs);
        assert.strictEqual(ingress.metadata.namespace, "agent-waker", "an Ingress's backend is in its own namespace");
        assert.strictEqual(ingress.spec.rules[0].host, "devbot.desktops.example.com");
        assert.deepStrictEqual(ingress.spec.rules[0].http.paths[0].backend, {
            service: { name: "waker", port: { name: "http" } },
        });
        const routes = JSON.parse(
            sleeping.byType(TYPES.configMap).find((c) => c.inputs.metadata.namespace === "agent-waker")!.inputs.data[
                "routes.json"
            ],
        );
        const devbot = routes.agents.find((agent: any) => agent.name === "devbot");
        assert.deepStrictEqual(devbot.view, {
            url: "http://devbot-computer.agent-devbot.svc.cluster.local:6080",
            host: "devbot.desktops.example.com",
        });
        const cluster = clusterOf(sleeping);
        const waker = wakerPod;
        assert.ok(allowed(cluster, ingressController, waker, 8080), "the ingress controller reaches the waker");
        assert.ok(
            !allowed(cluster, ingressController, waker, 9105),
            "the ingress controller reaches the waker's metrics",
        );
        assert.ok(
            !allowed(cluster, ingressController, computer("devbot"), 6080),
            "the ingress controller still reaches the computer, around the waker",
        );
        assert.ok(allowed(cluster, waker, computer("devbot"), 6080), "the waker reaches the view it serves");
    });

    it("outputs the URL to open, the mode, and the port-forward recipe", () => {
        assert.deepStrictEqual(routed.outputs.agentEndpoints.devbot.browserView, {
            url: "https://devbot.desktops.example.com/",
            portForward: "kubectl -n agent-devbot port-forward svc/devbot-computer 6080:6080",
            mode: "interactive",
        });
        assert.deepStrictEqual(plain.outputs.agentEndpoints.devbot.browserView, {
            url: "http://127.0.0.1:6080/",
            portForward: "kubectl -n agent-devbot port-forward svc/devbot-computer 6080:6080",
            mode: "view-only",
        });
        assert.ok(!("browserView" in plain.outputs.agentEndpoints.databot));
    });

    it("rejects an unknown mode and a malformed route host, naming the field", () => {
        assert.match(problems(config({ mode: "read-only" })), /agents\[0\]\.desktop\.browserView\.mode.*view-only/);
        const badHost = config({ route: true });
        badHost.platform.browserView.host = "https://desktops.example.com/";
        assert.match(problems(badHost), /platform\.browserView\.host/);
    });

    it("refuses a route host that makes an Ingress host the API server refuses (upper case, too long)", () => {
        const upper = config({ route: true });
        upper.platform.browserView.host = "Desktops.example.com";
        assert.match(
            problems(upper),
            /^platform\.browserView\.host: makes agents\[0\]'s browser-view host "devbot\.Desktops\.example\.com", which an Ingress cannot carry/m,
        );
        const long = config({ route: true });
        long.platform.browserView.host = `${"a".repeat(58)}.${"b".repeat(58)}.${"c".repeat(58)}.${"d".repeat(58)}.example.com`;
        assert.match(problems(long), /browser-view host "devbot\.a+\..*", which an Ingress cannot carry/);
    });

    it("refuses a route without TLS, which would send the login token in clear behind an https:// URL (issue 21)", () => {
        const withoutTls = config({ route: true });
        delete withoutTls.platform.browserView.tlsSecretName;
        assert.match(
            problems(withoutTls),
            /^platform\.browserView\.tlsSecretName: is not set, but platform\.browserView\.host routes agents\[0\]'s browser view, whose login token and session cookie would then cross the network in plain HTTP/m,
        );
        // Without an agent that has a browser view, the host routes nothing: no need for a certificate.
        withoutTls.agents[0].desktop.browserView = { enabled: false };
        assert.doesNotThrow(() =>
            parseStackConfig({
                values: { agents: withoutTls.agents, platform: withoutTls.platform },
                isSecret: () => false,
                stackName: "test-cluster",
            }),
        );
    });
});
