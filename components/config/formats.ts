/**
 * Checks for the textual formats the config uses. Each returns what is wrong, phrased to follow the
 * offending value in an error message, or undefined when the text is fine.
 */
import { parseQuantity } from "./quantity";

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const HOST = /^[A-Za-z0-9]([-A-Za-z0-9]*[A-Za-z0-9])?(\.[A-Za-z0-9]([-A-Za-z0-9]*[A-Za-z0-9])?)*(:\d{1,5})?$/;

export function dnsLabel(maxLength: number) {
    return (text: string): string | undefined => {
        if (text.length > maxLength) {
            return `is ${text.length} characters long; use at most ${maxLength}`;
        }
        return DNS_LABEL.test(text)
            ? undefined
            : "is not a DNS-1123 label: use lower-case letters, digits and '-', starting and ending with a letter or digit, e.g. devbot";
    };
}

export function dnsSubdomain(text: string): string | undefined {
    return text.length <= 253 && DNS_SUBDOMAIN.test(text)
        ? undefined
        : "is not a DNS-1123 subdomain (lower-case letters, digits, '-' and '.'), e.g. proxmox-csi";
}

export function host(text: string): string | undefined {
    return HOST.test(text) ? undefined : "is not a host name (no scheme, no path), e.g. git.example.com";
}

export function url(text: string): string | undefined {
    return /^https?:\/\/[^\s/]+(:\d+)?(\/\S*)?$/.test(text) ? undefined : "is not an http(s) URL, e.g. http://vault.vault:8200";
}

/** A Vault path made of safe segments, no leading or trailing slash. */
export function vaultPath(text: string): string | undefined {
    return /^[A-Za-z0-9_-]+(\/[A-Za-z0-9_-]+)*$/.test(text)
        ? undefined
        : "is not a Vault path of segments separated by '/', without leading or trailing '/', e.g. agents";
}

export function storageQuantity(text: string): string | undefined {
    const bytes = parseQuantity(text);
    if (bytes === undefined) {
        return `is not a Kubernetes quantity, e.g. ${suggestBinary(text) ?? "20Gi"}`;
    }
    return bytes < 2 ** 20 ? "is smaller than 1Mi; write the unit, e.g. 20Gi" : undefined;
}

export function memoryQuantity(text: string): string | undefined {
    const bytes = parseQuantity(text);
    if (bytes === undefined) {
        return `is not a Kubernetes quantity, e.g. ${suggestBinary(text) ?? "512Mi"}`;
    }
    return bytes < 2 ** 20 ? "is smaller than 1Mi; write the unit, e.g. 512Mi" : undefined;
}

export function cpuQuantity(text: string): string | undefined {
    const cores = parseQuantity(text);
    if (cores === undefined) {
        return "is not a Kubernetes CPU quantity, e.g. 500m or 2";
    }
    return cores < 0.001 ? "is less than 1m (a thousandth of a core)" : undefined;
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

/** "20GB" → "20Gi": operators coming from other tools often write decimal-looking units. */
function suggestBinary(text: string): string | undefined {
    const match = /^(\d+(?:\.\d+)?)\s*([KMGTPE])i?B$/i.exec(text.trim()) ?? /^(\d+(?:\.\d+)?)\s*([KMGTPE])$/i.exec(text.trim());
    if (!match) {
        return undefined;
    }
    const unit = match[2].toUpperCase() === "K" ? "Ki" : `${match[2].toUpperCase()}i`;
    return `${match[1]}${unit}`;
}
