/**
 * Checks for the textual formats the config uses. Each returns what is wrong, phrased to follow the
 * offending value in an error message, or undefined when the text is fine. The Kubernetes rules are
 * apimachinery's (k8s.io/apimachinery/pkg/util/validation), the repository rule the OCI distribution
 * spec's.
 */
import { MAX_QUANTITY, parseQuantity } from "./quantity";

const DNS_1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const DNS_1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const HOST_NAME = /^[A-Za-z0-9]([-A-Za-z0-9]*[A-Za-z0-9])?(\.[A-Za-z0-9]([-A-Za-z0-9]*[A-Za-z0-9])?)*$/;
/** A label's name part, and a label value (which may also be empty). */
const LABEL_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const REPOSITORY_COMPONENT = /^[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*$/;

export const MAX_DNS_LABEL = 63;
export const MAX_DNS_SUBDOMAIN = 253;

export function dnsLabel(maxLength: number = MAX_DNS_LABEL) {
    return (text: string): string | undefined => {
        if (text.length > maxLength) {
            return `is ${text.length} characters long; use at most ${maxLength}`;
        }
        return DNS_1123_LABEL.test(text)
            ? undefined
            : "is not a DNS-1123 label: use lower-case letters, digits and '-', starting and ending with a letter or digit, e.g. devbot";
    };
}

/** Service names (ours and the one kagent creates per Agent) must also start with a letter. */
export function dns1035Label(text: string): string | undefined {
    if (text.length > MAX_DNS_LABEL) {
        return `is ${text.length} characters long; a DNS-1035 label has at most ${MAX_DNS_LABEL}`;
    }
    return DNS_1035_LABEL.test(text)
        ? undefined
        : "is not a DNS-1035 label: use lower-case letters, digits and '-', starting with a letter and ending with a letter or digit";
}

export function dnsSubdomain(text: string): string | undefined {
    return text.length <= MAX_DNS_SUBDOMAIN && DNS_1123_SUBDOMAIN.test(text)
        ? undefined
        : "is not a DNS-1123 subdomain (lower-case letters, digits, '-' and '.'), e.g. proxmox-csi";
}

/** A host name with an optional port: what a registry or Gitea address is, without scheme or path. */
export function host(text: string): string | undefined {
    const [name, port, ...rest] = text.split(":");
    if (
        rest.length > 0 ||
        !HOST_NAME.test(name) ||
        name.length > MAX_DNS_SUBDOMAIN ||
        (port !== undefined && !/^\d+$/.test(port))
    ) {
        return "is not a host name (no scheme, no path), e.g. git.example.com";
    }
    return port === undefined ? undefined : portText(port);
}

function portText(port: string): string | undefined {
    return /^\d{1,5}$/.test(port) && Number(port) >= 1 && Number(port) <= 65535
        ? undefined
        : `has the port "${port}"; use a port from 1 to 65535`;
}

/**
 * An http(s) URL of a service. Userinfo is refused: the address is copied into every SecretStore,
 * so credentials in it would sit in plain manifests.
 */
export function serviceUrl(text: string): string | undefined {
    const example = "e.g. http://vault.vault:8200";
    const authority = /^https?:\/\/([^/?#\s]*)(\/[^?#\s]*)?$/.exec(text);
    if (!authority) {
        return `is not an http(s) URL without query or fragment, ${example}`;
    }
    if (authority[1].includes("@")) {
        return "holds a user or password; remove them (the address is copied into every SecretStore) and let ESO log in with its Kubernetes role";
    }
    return host(authority[1]) === undefined
        ? undefined
        : `has no valid host and port (port from 1 to 65535), ${example}`;
}

/**
 * The model API's base URL (a proxy, a gateway, or a test's scripted model): an http(s) URL with a
 * host, no user or password (it sits in the ModelConfig in plain text; the key comes from the Secret).
 */
export function modelBaseUrl(text: string): string | undefined {
    const example = "e.g. https://llm-gateway.example.com/anthropic";
    const authority = /^https?:\/\/([^/?#\s]*)(\/[^?#\s]*)?$/.exec(text);
    if (!authority) {
        return `is not an http(s) URL without query or fragment, ${example}`;
    }
    if (authority[1].includes("@")) {
        return "holds a user or password; remove them (the ModelConfig is not a secret; the API key comes from Vault)";
    }
    return host(authority[1]) === undefined ? undefined : `has no valid host and port, ${example}`;
}

/** A Vault path made of safe segments, no leading or trailing slash. */
export function vaultPath(text: string): string | undefined {
    return /^[A-Za-z0-9_-]+(\/[A-Za-z0-9_-]+)*$/.test(text)
        ? undefined
        : "is not a Vault path of segments separated by '/', without leading or trailing '/', e.g. agents";
}

/**
 * A Vault mount or prefix that is part of policy and role names: Vault lower-cases policy names, so
 * upper case would let two mounts share one policy.
 */
export function lowerCaseVaultPath(text: string): string | undefined {
    const complaint = vaultPath(text);
    if (complaint) {
        return complaint;
    }
    return text === text.toLowerCase()
        ? undefined
        : "has upper-case letters; Vault policy names (made from it) are case-insensitive, so use lower case";
}

/** A repository path inside a registry (OCI distribution spec), e.g. `agents` or `team/agents`. */
export function registryPath(text: string): string | undefined {
    return text.length <= 200 && text.split("/").every((component) => REPOSITORY_COMPONENT.test(component))
        ? undefined
        : "is not a registry repository path: lower-case components of letters and digits separated by '.', '_' or '-', joined by '/', e.g. agents";
}

/** A label key: an optional DNS subdomain prefix and '/', then a name of at most 63 characters. */
export function labelKey(text: string): string | undefined {
    const slash = text.lastIndexOf("/");
    const prefix = slash >= 0 ? text.slice(0, slash) : undefined;
    const name = text.slice(slash + 1);
    const fine =
        name.length <= MAX_DNS_LABEL &&
        LABEL_NAME.test(name) &&
        (prefix === undefined || dnsSubdomain(prefix) === undefined);
    return fine
        ? undefined
        : "is not a label key: [prefix/]name, name up to 63 letters, digits, '-', '_' or '.', e.g. app.kubernetes.io/name";
}

export function labelValue(text: string): string | undefined {
    return text === "" || (text.length <= MAX_DNS_LABEL && LABEL_NAME.test(text))
        ? undefined
        : "is not a label value: up to 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit";
}

function withinBound(value: number, unit: string): string | undefined {
    return Number.isFinite(value) && value < MAX_QUANTITY
        ? undefined
        : `is larger than the API server accepts (under 2^63 ${unit}); use a smaller figure`;
}

export function storageQuantity(text: string): string | undefined {
    const bytes = parseQuantity(text);
    if (bytes === undefined) {
        return `is not a Kubernetes quantity, e.g. ${suggestBinary(text) ?? "20Gi"}`;
    }
    return bytes < 2 ** 20 ? "is smaller than 1Mi; write the unit, e.g. 20Gi" : withinBound(bytes, "bytes");
}

export function memoryQuantity(text: string): string | undefined {
    const bytes = parseQuantity(text);
    if (bytes === undefined) {
        return `is not a Kubernetes quantity, e.g. ${suggestBinary(text) ?? "512Mi"}`;
    }
    return bytes < 2 ** 20 ? "is smaller than 1Mi; write the unit, e.g. 512Mi" : withinBound(bytes, "bytes");
}

export function cpuQuantity(text: string): string | undefined {
    const cores = parseQuantity(text);
    if (cores === undefined) {
        return "is not a Kubernetes CPU quantity, e.g. 500m or 2";
    }
    if (cores < 0.001) {
        return "is less than 1m (a thousandth of a core)";
    }
    // The quota writes CPU in millicores, which must stay within the bound too.
    return withinBound(cores * 1000, "millicores");
}

export function resolution(text: string): string | undefined {
    const match = /^(\d{3,4})x(\d{3,4})$/.exec(text);
    if (!match) {
        return "is not WIDTHxHEIGHT, e.g. 1280x800";
    }
    const [width, height] = [Number(match[1]), Number(match[2])];
    if (width < 640 || height < 480 || width > 3840 || height > 2160) {
        return "is outside 640x480 to 3840x2160; screenshots are never downscaled, so prefer 1280x800";
    }
    return undefined;
}

/** A fully pinned image reference: the cluster must run exactly what was reviewed. */
export function imageDigestRef(text: string): string | undefined {
    return /^[a-z0-9][a-z0-9._\-/:]*(:[\w.-]+)?@sha256:[0-9a-f]{64}$/.test(text)
        ? undefined
        : "is not an image reference pinned by digest, e.g. registry.example.com/agents/shell@sha256:<64 hex>";
}

/** User names end up in a URL's user part and in a Go template string: keep them to safe characters. */
export function username(text: string): string | undefined {
    return /^[A-Za-z0-9._+$@-]{1,128}$/.test(text)
        ? undefined
        : "has characters other than letters, digits and . _ + $ @ -";
}

export function imageTag(text: string): string | undefined {
    return /^[\w][\w.-]{0,127}$/.test(text) && text !== "latest" ? undefined : "is not an image tag other than latest";
}

/** A whole number of seconds, minutes or hours, as Kubernetes and Go write short durations: 90s, 30m, 2h. */
export function duration(text: string): string | undefined {
    return parseDuration(text) === undefined
        ? "is not a duration: a whole number followed by s, m or h, e.g. 30m"
        : undefined;
}

/** Seconds of a `duration`, or undefined when the text is not one. */
export function parseDuration(text: string): number | undefined {
    const match = /^([1-9][0-9]{0,6})(s|m|h)$/.exec(text);
    return match ? Number(match[1]) * { s: 1, m: 60, h: 3600 }[match[2] as "s" | "m" | "h"] : undefined;
}

/** "20GB" → "20Gi": operators coming from other tools often write decimal-looking units. */
function suggestBinary(text: string): string | undefined {
    const match =
        /^(\d+(?:\.\d+)?)\s*([KMGTPE])i?B$/i.exec(text.trim()) ?? /^(\d+(?:\.\d+)?)\s*([KMGTPE])$/i.exec(text.trim());
    if (!match) {
        return undefined;
    }
    const unit = match[2].toUpperCase() === "K" ? "Ki" : `${match[2].toUpperCase()}i`;
    return `${match[1]}${unit}`;
}
