// What an audit event may say about a tool call's arguments: secrets out, size bounded. The trail lives on
// the agent's volume and goes to the cluster's log collector, so a token the agent typed into a command
// must not land in either.

const REDACTED = "[REDACTED]";
/** Argument names whose values are secrets whatever they hold (env maps, headers, option objects). */
const SECRET_KEY = /pass(word|wd|phrase)?|secret|token|api[_-]?key|authorization|credential|private[_-]?key|cookie/i;
/** Secret-looking substrings of free text (commands, file contents): the value is replaced, the name kept. */
const SECRET_PATTERNS: RegExp[] = [
    // NAME=value / NAME: value where NAME looks like a secret's name (export GH_TOKEN=…, --password=…).
    /((?:[A-Za-z0-9_.-]*(?:pass(?:word|wd)?|secret|token|api[_-]?key|credential|private[_-]?key)[A-Za-z0-9_.-]*)["']?\s*[=:]\s*)("[^"]*"|'[^']*'|[^\s"'&;|]+)/gi,
    // Authorization headers.
    /(\b(?:Bearer|Basic|token)\s+)([A-Za-z0-9._~+/=-]{8,})/g,
    // Credentials in URLs: https://user:secret@host.
    /(\b[a-z][a-z0-9+.-]*:\/\/[^\s/:@]+:)([^\s/@]+)(?=@)/gi,
];
/** Well-known token shapes that need no name beside them. */
const TOKEN_SHAPES =
    /\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}|glpat-[A-Za-z0-9_-]{20,}|sk-[A-Za-z0-9_-]{20,}|xox[abprs]-[A-Za-z0-9-]{10,}|AKIA[0-9A-Z]{16}|eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,})\b/g;
const PRIVATE_KEY_BLOCK = /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(-----END [A-Z ]*PRIVATE KEY-----|$)/g;

export interface RedactionLimits {
    /** Longest string value kept (UTF-8 bytes); longer ones keep their start and say how long they were. */
    maxStringBytes: number;
    /** Largest serialized `arguments` object; past it only a notice and the argument names remain. */
    maxTotalBytes: number;
}

export class Redactor {
    /** @param secrets literal values to remove wherever they occur (the configured secrets, e.g. the MCP token). */
    constructor(
        private readonly secrets: readonly string[],
        private readonly limits: RedactionLimits,
    ) {}

    arguments(args: unknown): unknown {
        const redacted = this.value(args, undefined);
        const size = Buffer.byteLength(JSON.stringify(redacted ?? null));
        if (size <= this.limits.maxTotalBytes) return redacted;
        const keys = redacted && typeof redacted === "object" ? Object.keys(redacted) : [];
        return { "…": `(truncated, ${size} bytes)`, keys };
    }

    text(text: string): string {
        let out = text;
        for (const secret of this.secrets) if (secret.length >= 4) out = out.split(secret).join(REDACTED);
        out = out.replace(PRIVATE_KEY_BLOCK, REDACTED).replace(TOKEN_SHAPES, REDACTED);
        for (const pattern of SECRET_PATTERNS) out = out.replace(pattern, (_m, name: string) => `${name}${REDACTED}`);
        return out;
    }

    private value(value: unknown, key: string | undefined): unknown {
        if (key !== undefined && SECRET_KEY.test(key) && value !== null && typeof value !== "object") return REDACTED;
        if (typeof value === "string") {
            // Cut before the patterns run: an edit_file's 16 MB old_text must not hold the event loop. The
            // margin lets a secret that straddles the cut still match as a whole before the final cap.
            const bytes = Buffer.byteLength(value);
            const head =
                value.length > this.limits.maxStringBytes + 512
                    ? value.slice(0, this.limits.maxStringBytes + 512)
                    : value;
            return this.cap(this.text(head), bytes, head !== value);
        }
        if (Array.isArray(value)) return value.map((item) => this.value(item, undefined));
        if (value && typeof value === "object") {
            return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, this.value(v, k)]));
        }
        return value;
    }

    private cap(text: string, originalBytes: number, cut: boolean): string {
        const bytes = Buffer.byteLength(text);
        if (bytes <= this.limits.maxStringBytes) return cut ? `${text}…(truncated, ${originalBytes} bytes)` : text;
        // Cut on a character boundary: Buffer#toString drops a split multi-byte sequence's tail as U+FFFD.
        const head = Buffer.from(text)
            .subarray(0, this.limits.maxStringBytes)
            .toString()
            .replace(/\uFFFD$/, "");
        return `${head}…(truncated, ${originalBytes} bytes)`;
    }
}
