/** Parses the cluster-wide `platform` object of the stack config. */
import * as formats from "./formats";
import { ObjectReader, Problems } from "./problems";
import { IMAGE_NAMES, ImageName, PlatformSpec } from "./types";

export const PLATFORM_KEYS = [
    "namespacePrefix", "storageClass", "kagentNamespace", "registry", "imageRepository", "giteaHost",
    "vault", "secretStore", "images",
] as const;

export function parsePlatform(raw: unknown, stackName: string, problems: Problems): PlatformSpec {
    const platform = ObjectReader.of("platform", raw, problems, PLATFORM_KEYS);

    const vault = platform.child("vault", ["address", "mount", "pathPrefix", "writeSecrets"]);
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
        },
        secretStore: {
            kind: (store.string("kind", { default: "ClusterSecretStore", oneOf: ["SecretStore", "ClusterSecretStore"] }) ??
                "ClusterSecretStore") as PlatformSpec["secretStore"]["kind"],
            name: store.string("name", { default: "vault-backend", check: formats.dnsSubdomain }) ?? "vault-backend",
        },
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
