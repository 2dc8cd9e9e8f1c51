/**
 * Collects every configuration problem before anything is registered, so that one `pulumi preview`
 * shows the operator all of them at once, each with its path and the fix.
 */
export class Problems {
    private readonly found: string[] = [];

    add(path: string, message: string): void {
        this.found.push(`${path}: ${message}`);
    }

    get list(): readonly string[] {
        return this.found;
    }

    get any(): boolean {
        return this.found.length > 0;
    }
}

export class ConfigError extends Error {
    constructor(readonly problems: readonly string[]) {
        super(
            `The stack configuration has ${problems.length} problem${problems.length === 1 ? "" : "s"}:\n` +
            problems.map((p) => `  - ${p}`).join("\n"),
        );
        this.name = "ConfigError";
    }
}

export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export function describe(value: unknown): string {
    return value === undefined ? "missing" : JSON.stringify(value);
}

/**
 * Reads one object of the config, checking its keys against the known ones: an unknown key is most
 * often a typo that would otherwise be silently ignored.
 */
export class ObjectReader {
    constructor(
        readonly path: string,
        readonly value: JsonObject,
        private readonly problems: Problems,
        known: readonly string[],
    ) {
        for (const key of Object.keys(value)) {
            if (!known.includes(key)) {
                const hint = closest(key, known);
                problems.add(
                    this.at(key),
                    `unknown key${hint ? `; did you mean "${hint}"?` : ""} (known keys: ${known.join(", ")})`,
                );
            }
        }
    }

    /** Reads `path`'s object from a parent value: undefined becomes {}, a non-object is a problem. */
    static of(path: string, value: unknown, problems: Problems, known: readonly string[]): ObjectReader {
        if (value === undefined || value === null) {
            return new ObjectReader(path, {}, problems, known);
        }
        if (typeof value !== "object" || Array.isArray(value)) {
            problems.add(path, `${describe(value)} is not an object; write it as a map of keys`);
            return new ObjectReader(path, {}, problems, known);
        }
        return new ObjectReader(path, value as JsonObject, problems, known);
    }

    at(key: string): string {
        return `${this.path}.${key}`;
    }

    has(key: string): boolean {
        return this.value[key] !== undefined && this.value[key] !== null;
    }

    child(key: string, known: readonly string[]): ObjectReader {
        return ObjectReader.of(this.at(key), this.value[key], this.problems, known);
    }

    string(key: string, rule: StringRule = {}): string | undefined {
        const raw = this.value[key];
        if (raw === undefined || raw === null) {
            if (rule.required) {
                this.problems.add(this.at(key), `missing; ${rule.hint ?? "set it"}`);
            }
            return rule.default;
        }
        // Numbers written without quotes in YAML (a storage size of 20, say) are kept as text.
        const text = typeof raw === "number" ? String(raw) : raw;
        if (typeof text !== "string") {
            this.problems.add(this.at(key), `${describe(raw)} is not a string`);
            return rule.default;
        }
        if (rule.nonEmpty !== false && text.trim() === "") {
            this.problems.add(this.at(key), `is empty; ${rule.hint ?? "give it a value or remove the key"}`);
            return rule.default;
        }
        if (rule.oneOf && !rule.oneOf.includes(text)) {
            this.problems.add(this.at(key), `${describe(text)} is not one of ${rule.oneOf.join(", ")}`);
            return rule.default;
        }
        const complaint = rule.check?.(text);
        if (complaint) {
            this.problems.add(this.at(key), `${describe(text)} ${complaint}`);
            return rule.default;
        }
        return text;
    }

    boolean(key: string, fallback: boolean): boolean {
        const raw = this.value[key];
        if (raw === undefined || raw === null) {
            return fallback;
        }
        // `pulumi config set --path` stores true/false as strings unless --type bool... accept both spellings.
        if (raw === true || raw === "true") {
            return true;
        }
        if (raw === false || raw === "false") {
            return false;
        }
        this.problems.add(this.at(key), `${describe(raw)} is not true or false`);
        return fallback;
    }

    integer(key: string, fallback: number, min: number, max: number): number {
        const raw = this.value[key];
        if (raw === undefined || raw === null) {
            return fallback;
        }
        const value = typeof raw === "string" && /^-?\d+$/.test(raw) ? Number(raw) : raw;
        if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
            this.problems.add(this.at(key), `${describe(raw)} is not a whole number from ${min} to ${max}`);
            return fallback;
        }
        return value;
    }

    list(key: string): { path: string; value: Json }[] {
        const raw = this.value[key];
        if (raw === undefined || raw === null) {
            return [];
        }
        if (!Array.isArray(raw)) {
            this.problems.add(this.at(key), `${describe(raw)} is not a list`);
            return [];
        }
        return raw.map((value, index) => ({ path: `${this.at(key)}[${index}]`, value }));
    }

    stringList(key: string, check?: (item: string) => string | undefined): string[] {
        const items: string[] = [];
        for (const { path, value } of this.list(key)) {
            if (typeof value !== "string" || value === "") {
                this.problems.add(path, `${describe(value)} is not a non-empty string`);
                continue;
            }
            const complaint = check?.(value);
            if (complaint) {
                this.problems.add(path, `${describe(value)} ${complaint}`);
                continue;
            }
            items.push(value);
        }
        return items;
    }
}

export interface StringRule {
    required?: boolean;
    default?: string;
    nonEmpty?: boolean;
    oneOf?: readonly string[];
    /** Returns what is wrong with the text ("is not a ..., e.g. ..."), or undefined when it is fine. */
    check?: (text: string) => string | undefined;
    hint?: string;
}

function closest(key: string, known: readonly string[]): string | undefined {
    let best: string | undefined;
    let bestDistance = 3;
    for (const candidate of known) {
        const distance = editDistance(key.toLowerCase(), candidate.toLowerCase());
        if (distance < bestDistance) {
            best = candidate;
            bestDistance = distance;
        }
    }
    return best;
}

function editDistance(a: string, b: string): number {
    const row = Array.from({ length: b.length + 1 }, (_, i) => i);
    for (let i = 1; i <= a.length; i++) {
        let previous = row[0];
        row[0] = i;
        for (let j = 1; j <= b.length; j++) {
            const current = row[j];
            row[j] = Math.min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
            previous = current;
        }
    }
    return row[b.length];
}
