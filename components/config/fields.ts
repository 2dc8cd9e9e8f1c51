/**
 * The zod building blocks of the config schema. Each carries the message an operator sees, written to
 * follow the field's path ("agents[0].storage.workspace: "20GB" is not a Kubernetes quantity, …"), and
 * accepts values the way `pulumi config set --path` stores them: booleans and numbers as strings.
 */
import { distance } from "fastest-levenshtein";
import { z } from "zod";
import { describe } from "./problems";

export { OWN_PATH } from "./problems";

/** What a format check returns: the complaint, or undefined when the text is fine. */
export type TextCheck = (text: string) => string | undefined;

export interface TextRule {
    check?: TextCheck;
    /** Said after "missing; " when the field is required and absent. */
    hint?: string;
    /** An empty string is a value of its own (e.g. an empty namespace prefix). */
    allowEmpty?: boolean;
    /** Whether a complaint repeats the value (not for long free text such as a system message). */
    quoteValue?: boolean;
}

/** A string; a number written without quotes in YAML (a storage size of 20, say) is kept as text. */
export function text(rule: TextRule = {}) {
    const base = z
        .string({
            error: (issue) =>
                issue.input === undefined
                    ? `missing; ${rule.hint ?? "set it"}`
                    : `${describe(issue.input)} is not a string`,
        })
        .superRefine((value, ctx) => {
            if (!rule.allowEmpty && value.trim() === "") {
                ctx.addIssue({ code: "custom", message: "is empty; give it a value or remove the key", input: value });
                return;
            }
            const complaint = rule.check?.(value);
            if (complaint) {
                ctx.addIssue({
                    code: "custom",
                    message: rule.quoteValue === false ? complaint : `${describe(value)} ${complaint}`,
                    input: value,
                });
            }
        });
    return z.preprocess((value) => (typeof value === "number" ? String(value) : value), base);
}

/** One of a few words. */
export function oneOf<const T extends readonly [string, ...string[]]>(values: T) {
    return z.enum(values, { error: (issue) => `${describe(issue.input)} is not one of ${values.join(", ")}` });
}

/** true or false, also spelt as the strings `pulumi config set --path` stores without `--type bool`. */
export function flag() {
    return z.preprocess(
        (value) => (value === "true" ? true : value === "false" ? false : value),
        z.boolean({ error: (issue) => `${describe(issue.input)} is not true or false` }),
    );
}

export function wholeNumber(min: number, max: number) {
    const message = (input: unknown) => `${describe(input)} is not a whole number from ${min} to ${max}`;
    return z.preprocess(
        (value) => (typeof value === "string" && /^-?\d+$/.test(value) ? Number(value) : value),
        z.number({ error: (issue) => message(issue.input) }).superRefine((value, ctx) => {
            if (!Number.isInteger(value) || value < min || value > max) {
                ctx.addIssue({ code: "custom", message: message(value), input: value });
            }
        }),
    );
}

export function port() {
    return wholeNumber(1, 65535).describe("a port number");
}

export function list<T extends z.ZodType>(item: T) {
    return z.array(item, { error: (issue) => `${describe(issue.input)} is not a list` });
}

/** Label names to values, both checked by the Kubernetes rules (zod reports a bad key at its own path). */
export function labels(keyCheck: TextCheck, valueCheck: TextCheck) {
    return z.record(
        z.string().superRefine((key, ctx) => {
            const complaint = keyCheck(key);
            if (complaint) {
                ctx.addIssue({ code: "custom", message: complaint, input: key });
            }
        }),
        text({ check: valueCheck, allowEmpty: true }),
        {
            error: (issue) =>
                issue.code === "invalid_type"
                    ? `${describe(issue.input)} is not a map of label names to values`
                    : undefined,
        },
    );
}

/**
 * An object whose keys are all known: an unknown key is most often a typo that would otherwise be
 * silently ignored. zod reports the unknown keys of one object in one issue; the message carries one
 * line per key (with its "did you mean"), which problems.ts splits again.
 */
export function strictObject<S extends z.core.$ZodLooseShape>(
    shape: S,
    /** Keys that used to be here, and the path that holds them now. */
    moved: Record<string, string> = {},
) {
    const known = Object.keys(shape);
    return z.strictObject(shape, {
        error: (issue) => {
            if (issue.code === "unrecognized_keys") {
                return issue.keys
                    .map((key) =>
                        moved[key]
                            ? `has moved to ${moved[key]}: set the same value there (pulumi config set --path ${moved[key]}…) and remove this key`
                            : unknownKeyMessage(key, known),
                    )
                    .join("\n");
            }
            return issue.input === undefined
                ? "missing; set it (a map of keys)"
                : `${describe(issue.input)} is not an object; write it as a map of keys`;
        },
    });
}

export function unknownKeyMessage(key: string, known: readonly string[]): string {
    const hint = closest(key, known);
    return `unknown key${hint ? `; did you mean "${hint}"?` : ""} (known keys: ${known.join(", ")})`;
}

/** The known key nearest to a typo, if it is within two edits (case aside). */
function closest(key: string, known: readonly string[]): string | undefined {
    let best: string | undefined;
    let bestDistance = 3;
    for (const candidate of known) {
        const edits = distance(key.toLowerCase(), candidate.toLowerCase());
        if (edits < bestDistance) {
            best = candidate;
            bestDistance = edits;
        }
    }
    return best;
}
