/**
 * The node itself, before anything of the stack runs on it: kubelet's authentication, cluster DNS,
 * Services through kube-proxy, NetworkPolicies enforced by kube-router on real packets (a deny, then an
 * allow), and logs, exec and port-forward through the API server.
 */
import * as assert from "node:assert";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as https from "node:https";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import {
    apply,
    clusterDir,
    ensureNamespace,
    exec,
    kubectlOk,
    portForward,
    REPO,
    runPod,
    tcpOpen,
    waitFor,
} from "./fixture";

const SERVER = "node-test-server";
const CLIENT = "node-test-client";

function nodeAddress(): string {
    const env = fs.readFileSync(path.join(clusterDir(), "node", "network.env"), "utf8");
    return /^NODE_IP=(.*)$/m.exec(env)![1];
}

/** kubelet's answer to a caller with no client certificate. */
function anonymousKubelet(address: string): Promise<number> {
    return new Promise((resolve, reject) => {
        https
            .get(
                { host: address, port: 10250, path: "/pods", rejectUnauthorized: false, timeout: 10_000 },
                (response) => {
                    response.resume();
                    resolve(response.statusCode ?? 0);
                },
            )
            .on("error", reject);
    });
}

describe("the local node", () => {
    let serverIp: string;
    before(async () => {
        ensureNamespace(SERVER);
        ensureNamespace(CLIENT);
        serverIp = await runPod({
            namespace: SERVER,
            name: "web",
            labels: { app: "web" },
            args: [
                "sh",
                "-c",
                "echo serving on 8080 && mkdir -p /tmp/www && echo hello-from-the-node > /tmp/www/index.html && exec httpd -f -p 8080 -h /tmp/www",
            ],
        });
        apply([
            {
                apiVersion: "v1",
                kind: "Service",
                metadata: { name: "web", namespace: SERVER },
                spec: { selector: { app: "web" }, ports: [{ port: 80, targetPort: 8080 }] },
            },
        ]);
        await runPod({ namespace: CLIENT, name: "allowed", labels: { app: "client" } });
        await runPod({ namespace: CLIENT, name: "other", labels: { app: "other" } });
    });
    after(() => {
        kubectlOk(["delete", "namespace", SERVER, CLIENT, "--wait=false"]);
    });

    it("takes a second `up` while it runs (the README's first command run again): nothing restarted", () => {
        const before = kubectlOk(["get", "--raw", "/livez?verbose"]);
        const again = spawnSync("bash", [path.join(REPO, "scripts", "local-cluster.sh"), "up"], {
            env: { ...process.env, LOCAL_CLUSTER_DIR: clusterDir(), LOCAL_CLUSTER_NODE: "1" },
            encoding: "utf8",
            timeout: 5 * 60_000,
        });
        assert.strictEqual(again.status, 0, `the second up failed:\n${again.stdout}\n${again.stderr}`);
        assert.match(again.stdout + again.stderr, /already running/);
        assert.ok(before.includes("livez check passed"));
        const node = JSON.parse(kubectlOk(["get", "nodes", "-o", "json"])).items[0];
        const ready = node.status.conditions.find((c: { type: string }) => c.type === "Ready");
        assert.strictEqual(ready.status, "True", "the node is not Ready after the second up");
    });

    it("is Ready at its private address, and kubelet refuses anonymous callers", async () => {
        const node = JSON.parse(kubectlOk(["get", "node", "local-node", "-o", "json"]));
        const ready = node.status.conditions.find((c: any) => c.type === "Ready");
        assert.strictEqual(ready.status, "True");
        const internal = node.status.addresses.find((a: any) => a.type === "InternalIP").address;
        assert.strictEqual(internal, nodeAddress());
        assert.strictEqual(await anonymousKubelet(internal), 401, "webhook authentication, anonymous off");
    });

    it("resolves Service names through CoreDNS", () => {
        const result = exec(CLIENT, "allowed", ["/bin/busybox", "nslookup", `web.${SERVER}.svc.cluster.local`]);
        assert.strictEqual(result.status, 0, result.stderr);
        const clusterIp = kubectlOk(["-n", SERVER, "get", "service", "web", "-o", "jsonpath={.spec.clusterIP}"]);
        assert.match(result.stdout, new RegExp(`Address: ${clusterIp.replace(/\./g, "\\.")}`));
    });

    it("carries a Service's ClusterIP to its pod (kube-proxy)", () => {
        const clusterIp = kubectlOk(["-n", SERVER, "get", "service", "web", "-o", "jsonpath={.spec.clusterIP}"]);
        const result = exec(CLIENT, "allowed", [
            "/bin/busybox",
            "sh",
            "-c",
            `printf 'GET / HTTP/1.0\\r\\n\\r\\n' | /bin/busybox nc -w 3 ${clusterIp} 80`,
        ]);
        assert.match(result.stdout, /hello-from-the-node/);
    });

    it("enforces NetworkPolicies on the wire: a default deny closes the pod, an allow opens it to one client", async () => {
        assert.ok(tcpOpen(CLIENT, "allowed", serverIp, 8080), "open before any policy");
        assert.ok(tcpOpen(CLIENT, "other", serverIp, 8080), "open before any policy");
        apply([
            {
                apiVersion: "networking.k8s.io/v1",
                kind: "NetworkPolicy",
                metadata: { name: "deny", namespace: SERVER },
                spec: { podSelector: {}, policyTypes: ["Ingress"] },
            },
        ]);
        await waitFor("the deny to close the server", () => !tcpOpen(CLIENT, "allowed", serverIp, 8080), 30_000);
        assert.ok(!tcpOpen(CLIENT, "other", serverIp, 8080));
        apply([
            {
                apiVersion: "networking.k8s.io/v1",
                kind: "NetworkPolicy",
                metadata: { name: "allow-client", namespace: SERVER },
                spec: {
                    podSelector: { matchLabels: { app: "web" } },
                    policyTypes: ["Ingress"],
                    ingress: [
                        {
                            from: [
                                {
                                    namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": CLIENT } },
                                    podSelector: { matchLabels: { app: "client" } },
                                },
                            ],
                            ports: [{ port: 8080 }],
                        },
                    ],
                },
            },
        ]);
        await waitFor(
            "the allow to open the server to its client",
            () => tcpOpen(CLIENT, "allowed", serverIp, 8080),
            30_000,
        );
        assert.ok(!tcpOpen(CLIENT, "other", serverIp, 8080), "a pod the allow does not select stays out");
        kubectlOk(["-n", SERVER, "delete", "networkpolicy", "allow-client"]);
        await waitFor(
            "removing the allow to close it again",
            () => !tcpOpen(CLIENT, "allowed", serverIp, 8080),
            30_000,
        );
    });

    it("serves logs, exec and port-forward through the API server", async () => {
        assert.strictEqual(
            exec(SERVER, "web", ["/bin/busybox", "cat", "/tmp/www/index.html"]).stdout.trim(),
            "hello-from-the-node",
        );
        const forward = await portForward(SERVER, "pod/web", 8080);
        try {
            const body = await (await fetch(`http://127.0.0.1:${forward.port}/`)).text();
            assert.strictEqual(body.trim(), "hello-from-the-node");
        } finally {
            forward.close();
        }
        assert.match(kubectlOk(["-n", SERVER, "logs", "web"]), /serving on 8080/);
    });
});
