/** Parses the cluster-wide `platform` object of the stack config. */
import * as formats from "./formats";
import { NETWORK_KEYS, parseEgressRules, parseViewers } from "./network";
import { ObjectReader, Problems, describe } from "./problems";
import { IMAGE_NAMES, ImageName, PlatformSpec } from "./types";

export const PLATFORM_KEYS = [
    "namespacePrefix", "storageClass", "kagentNamespace", "registry", "imageRepository", "giteaHost",
    "vault", "secretStore", "images", "network", "podSecurity",
] as const;

export function parsePlatform(raw: unknown, stackName: string, problems: Problems): PlatformSpec {
    const platform = ObjectReader.of("platform", raw, problems, PLATFORM_KEYS);

    const vault = platform.child("vault", ["address", "mount", "pathPrefix", "writeSecrets", "authMount", "audience"]);
    const network = platform.child("network", [...NETWORK_KEYS, "dns"]);
    const dns = network.child("dns", ["namespace", "podLabels"]);
    const store = platform.child("secretStore", ["kind", "name"]);
    const images = platform.child("images", [...IMAGE_NAMES, "platforms", "tag", "registryUsername"]);

    const prebuilt: Partial<Record<ImageName, string>> = {};
    for (const image of IMAGE_NAMES) {
        const ref = images.string(image, { check: formats.imageDigestRef });
        if (ref) {
            prebuilt[image] = ref;
        }
    }

    const namespacePrefix = platform.string("namespacePrefix", {
        default: "agent-",
        nonEmpty: false,
        check: (text) => (text === "" || /^[a-z0-9][-a-z0-9]*$/.test(text) ? undefined : "must be lower-case letters, digits and '-', e.g. agent-"),
    }) ?? "agent-";

    return {
        namespacePrefix,
        storageClass: platform.string("storageClass", { check: formats.dnsSubdomain }),
        kagentNamespace: platform.string("kagentNamespace", { default: "kagent", check: formats.dnsLabel(63) }) ?? "kagent",
        registry: platform.string("registry", {
            required: true, check: formats.host,
            hint: "pulumi config set --path platform.registry registry.example.com",
        }) ?? "",
        imageRepository: platform.string("imageRepository", { default: "agents", check: formats.vaultPath }) ?? "agents",
        giteaHost: platform.string("giteaHost", {
            required: true, check: formats.host,
            hint: "pulumi config set --path platform.giteaHost git.example.com",
        }) ?? "",
        vault: {
            address: vault.string("address", {
                required: true, check: formats.url,
                hint: "the URL the External Secrets Operator uses, e.g. pulumi config set --path platform.vault.address http://vault.vault.svc.cluster.local:8200",
            }) ?? "",
            mount: vault.string("mount", { default: "secret", check: formats.vaultPath }) ?? "secret",
            pathPrefix: vault.string("pathPrefix", { default: "agents", check: formats.vaultPath }) ?? "agents",
            writeSecrets: vault.boolean("writeSecrets", true),
            authMount: vault.string("authMount", { default: "kubernetes", check: formats.vaultPath }) ?? "kubernetes",
            audience: vault.string("audience", { default: "vault" }) ?? "vault",
        },
        secretStore: {
            // Per-agent stores by default: a shared ClusterSecretStore lets every namespace read all its role can.
            kind: (store.string("kind", { default: "SecretStore", oneOf: ["SecretStore", "ClusterSecretStore"] }) ??
                "SecretStore") as PlatformSpec["secretStore"]["kind"],
            name: store.string("name", { default: "vault-backend", check: formats.dnsSubdomain }) ?? "vault-backend",
        },
        network: {
            computerEgress: parseEgressRules(network, "computerEgress", problems),
            agentEgress: parseEgressRules(network, "agentEgress", problems),
            vncViewers: parseViewers(network, "vncViewers", problems),
            dns: {
                namespace: dns.string("namespace", { default: "kube-system", check: formats.dnsLabel(63) }) ?? "kube-system",
                podLabels: dnsLabels(dns, problems),
            },
        },
        podSecurity: (platform.string("podSecurity", { default: "restricted", oneOf: ["restricted", "baseline"] }) ??
            "restricted") as PlatformSpec["podSecurity"],
        images: {
            prebuilt,
            platforms: images.has("platforms")
                ? images.stringList("platforms", (p) => (/^linux\/(amd64|arm64)$/.test(p) ? undefined : "is not linux/amd64 or linux/arm64"))
                : ["linux/amd64"],
            tag: images.string("tag", {
                default: stackName,
                check: (t) => (/^[\w][\w.-]{0,127}$/.test(t) && t !== "latest" ? undefined : "is not an image tag other than latest"),
            }) ?? stackName,
            registryUsername: images.string("registryUsername", { check: formats.username }),
        },
    };
}

function dnsLabels(dns: ObjectReader, problems: Problems): Record<string, string> {
    const raw = dns.value.podLabels;
    if (raw === undefined || raw === null) {
        return { "k8s-app": "kube-dns" };
    }
    if (typeof raw !== "object" || Array.isArray(raw) || Object.values(raw).some((v) => typeof v !== "string")) {
        problems.add(dns.at("podLabels"), `${describe(raw)} is not a map of label names to string values, e.g. {k8s-app: kube-dns}`);
        return { "k8s-app": "kube-dns" };
    }
    return raw as Record<string, string>;
}
