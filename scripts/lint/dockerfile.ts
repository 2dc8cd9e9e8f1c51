/**
 * A small Dockerfile linter for the rules this project holds its images to (hadolint's binary cannot be
 * installed everywhere the tests run, and these few rules need no more than a line parser):
 *
 *   from-pinned          every FROM names a specific version tag (x.y, or a date stamp) or a digest
 *   final-user           the final stage switches to a non-root USER
 *   apt-no-recommends    every `apt-get install` passes --no-install-recommends
 *   apt-lists-cleanup    a RUN that installs with apt-get also removes /var/lib/apt/lists
 *   add-remote           ADD never fetches a URL (fetch with a checksum, or COPY)
 *   secret-literal       no ENV/ARG named like a secret (PASSWORD, TOKEN, …) carries a literal value
 *
 * Pure functions: `lintDockerfile(text)` returns findings; scripts/lint/lint-dockerfiles.ts is the CLI.
 */

export type Rule =
    | "from-pinned"
    | "final-user"
    | "apt-no-recommends"
    | "apt-lists-cleanup"
    | "add-remote"
    | "secret-literal"
    | "parse";

export interface Finding {
    /** 1-based line of the instruction's first line. */
    line: number;
    rule: Rule;
    message: string;
}

export interface Instruction {
    /** Upper-case keyword, e.g. RUN. */
    keyword: string;
    /** Everything after the keyword, continuation lines joined (heredoc bodies included for RUN). */
    args: string;
    line: number;
}

/** Splits a Dockerfile into instructions: comments dropped, `\` continuations joined, heredocs kept. */
export function parseDockerfile(text: string): Instruction[] {
    const lines = text.replace(/\r\n/g, "\n").split("\n");
    const escape = escapeCharacter(lines);
    const instructions: Instruction[] = [];
    let index = 0;
    while (index < lines.length) {
        const first = lines[index];
        if (/^\s*(#.*)?$/.test(first)) {
            index++;
            continue;
        }
        const start = index;
        let joined = "";
        let current = first;
        // Join continuation lines; comment lines inside a continuation are skipped, as BuildKit does.
        for (;;) {
            const trimmed = current.replace(/\s+$/, "");
            if (trimmed.endsWith(escape) && index + 1 < lines.length) {
                joined += trimmed.slice(0, -1) + " ";
                index++;
                while (index < lines.length && /^\s*#/.test(lines[index])) {
                    index++;
                }
                current = lines[index] ?? "";
                continue;
            }
            joined += trimmed;
            index++;
            break;
        }
        const match = /^\s*([A-Za-z]+)\s*(.*)$/.exec(joined);
        if (!match) {
            instructions.push({ keyword: "?", args: joined, line: start + 1 });
            continue;
        }
        let args = match[2];
        // Heredocs (`RUN <<EOF` … `EOF`): the body belongs to the instruction.
        for (const heredoc of args.matchAll(/<<-?\s*(["']?)([A-Za-z_][A-Za-z0-9_]*)\1/g)) {
            const terminator = heredoc[2];
            const body: string[] = [];
            while (index < lines.length && lines[index].replace(/^\t+/, "").trim() !== terminator) {
                body.push(lines[index]);
                index++;
            }
            index++; // the terminator line
            args += "\n" + body.join("\n");
        }
        instructions.push({ keyword: match[1].toUpperCase(), args, line: start + 1 });
    }
    return instructions;
}

function escapeCharacter(lines: string[]): string {
    // Parser directives come first, before any instruction or blank line.
    for (const line of lines) {
        const directive = /^#\s*([a-z]+)\s*=\s*(\S+)\s*$/i.exec(line);
        if (!directive) {
            break;
        }
        if (directive[1].toLowerCase() === "escape") {
            return directive[2];
        }
    }
    return "\\";
}

const SECRET_WORDS = new Set(["PASSWORD", "PASSWD", "PASSPHRASE", "TOKEN", "SECRET", "APIKEY", "CREDENTIAL", "CREDENTIALS"]);
const KEY_QUALIFIERS = new Set(["API", "ACCESS", "PRIVATE", "SECRET", "AUTH", "SIGNING", "ENCRYPTION"]);
/** Last words of names that say where or what a secret is, not the secret (MCP_AUTH_TOKEN_FILE=/var/run/…). */
const NOT_A_VALUE = new Set(["FILE", "PATH", "DIR", "FILENAME", "LOCATION", "URL", "NAME", "ID", "ENV"]);

/** Whether an ENV/ARG name names a secret: by whole words, so AGENT_PASSWORDLESS_SUDO is not one. */
export function namesSecret(name: string): boolean {
    const words = name.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toUpperCase().split(/[_.-]+/).filter((w) => w !== "");
    if (words.length === 0 || NOT_A_VALUE.has(words[words.length - 1])) {
        return false;
    }
    return words.some((word, i) => SECRET_WORDS.has(word) || (word === "KEY" && i > 0 && KEY_QUALIFIERS.has(words[i - 1])));
}
const ROOT_USERS = new Set(["root", "0"]);

interface Stage {
    name?: string;
    fromLine: number;
    /** The last USER of the stage, as written, and its line. */
    user?: { value: string; line: number };
    args: Map<string, string | undefined>;
}

export function lintDockerfile(text: string): Finding[] {
    const findings: Finding[] = [];
    const instructions = parseDockerfile(text);
    const globalArgs = new Map<string, string | undefined>();
    const stages: Stage[] = [];

    for (const instruction of instructions) {
        const { keyword, args, line } = instruction;
        const stage = stages[stages.length - 1];
        switch (keyword) {
            case "FROM": {
                const parsed = parseFrom(args);
                const stageNames = new Set(stages.map((s) => s.name).filter((n): n is string => !!n));
                checkFrom(parsed.image, globalArgs, stageNames, line, findings);
                stages.push({ name: parsed.alias?.toLowerCase(), fromLine: line, args: new Map() });
                break;
            }
            case "ARG": {
                for (const [name, value] of parseArg(args)) {
                    (stage ? stage.args : globalArgs).set(name, value);
                    checkSecret("ARG", name, value, line, findings);
                }
                break;
            }
            case "ENV": {
                for (const [name, value] of parseEnv(args)) {
                    checkSecret("ENV", name, value, line, findings);
                }
                break;
            }
            case "USER": {
                if (stage) {
                    stage.user = { value: args.trim(), line };
                }
                break;
            }
            case "RUN":
                checkApt(args, line, findings);
                break;
            case "ADD":
                checkAdd(args, line, findings);
                break;
            case "?":
                findings.push({ line, rule: "parse", message: `cannot read this line as an instruction: ${args.slice(0, 60)}` });
                break;
        }
    }

    const final = stages[stages.length - 1];
    if (!final) {
        findings.push({ line: 1, rule: "from-pinned", message: "no FROM instruction" });
    } else if (!final.user) {
        findings.push({
            line: final.fromLine,
            rule: "final-user",
            message: "the final stage has no USER instruction, so the container runs as root; end with e.g. USER 1000",
        });
    } else {
        const value = substitute(final.user.value, (name) => final.args.get(name) ?? globalArgs.get(name));
        const user = value?.split(":")[0].trim();
        if (user === undefined || /\$/.test(user)) {
            findings.push({ line: final.user.line, rule: "final-user", message: `USER ${final.user.value} cannot be resolved; give the ARG a non-root default` });
        } else if (ROOT_USERS.has(user.toLowerCase())) {
            findings.push({ line: final.user.line, rule: "final-user", message: `the final stage runs as root (USER ${final.user.value}); use a non-root user such as 1000` });
        }
    }
    return findings.sort((a, b) => a.line - b.line);
}

function parseFrom(args: string): { image: string; alias?: string } {
    const words = args.split(/\s+/).filter((w) => w !== "" && !w.startsWith("--"));
    const asIndex = words.findIndex((w) => w.toUpperCase() === "AS");
    return { image: words[0] ?? "", alias: asIndex >= 0 ? words[asIndex + 1] : undefined };
}

function checkFrom(
    written: string, globalArgs: Map<string, string | undefined>, stageNames: Set<string>, line: number, findings: Finding[],
): void {
    const image = substitute(written, (name) => globalArgs.get(name));
    if (image === undefined) {
        findings.push({
            line, rule: "from-pinned",
            message: `FROM ${written} uses a build argument without a default; declare it before FROM with a pinned default`,
        });
        return;
    }
    if (image === "scratch" || stageNames.has(image.toLowerCase())) {
        return;
    }
    const shown = image === written ? image : `${written} (= ${image})`;
    if (/@sha256:[0-9a-f]{64}$/.test(image)) {
        return;
    }
    // The tag follows the last ':' after the last '/' (a registry host may carry a port).
    const lastPart = image.slice(image.lastIndexOf("/") + 1);
    const tag = lastPart.includes(":") ? lastPart.slice(lastPart.indexOf(":") + 1) : undefined;
    if (tag === undefined) {
        findings.push({ line, rule: "from-pinned", message: `FROM ${shown} has no tag (that means latest); pin a version tag or a digest` });
    } else if (tag.toLowerCase() === "latest") {
        findings.push({ line, rule: "from-pinned", message: `FROM ${shown} uses latest; pin a version tag or a digest` });
    } else if (!/\d+\.\d+|\d{8}/.test(tag)) {
        findings.push({
            line, rule: "from-pinned",
            message: `FROM ${shown}: tag "${tag}" moves with every release; pin a specific version (e.g. 3.12.12-slim-bookworm, bookworm-20251229-slim) or a digest`,
        });
    }
}

/** Expands $NAME, ${NAME} and ${NAME:-default}; undefined when a referenced name has no value. */
function substitute(text: string, lookup: (name: string) => string | undefined): string | undefined {
    let unresolved = false;
    const result = text.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (_, braced, fallback, bare) => {
        const value = lookup(braced ?? bare) ?? fallback;
        if (value === undefined) {
            unresolved = true;
            return "";
        }
        return value;
    });
    return unresolved ? undefined : result;
}

function unquote(value: string): string {
    const trimmed = value.trim();
    if (trimmed.length >= 2 && (trimmed[0] === '"' || trimmed[0] === "'") && trimmed.endsWith(trimmed[0])) {
        return trimmed.slice(1, -1);
    }
    return trimmed;
}

function parseArg(args: string): [string, string | undefined][] {
    return splitWords(args).map((word) => {
        const equals = word.indexOf("=");
        return equals < 0 ? [word, undefined] : [word.slice(0, equals), unquote(word.slice(equals + 1))];
    });
}

function parseEnv(args: string): [string, string][] {
    const words = splitWords(args);
    if (words.length > 0 && !words[0].includes("=")) {
        // Legacy form: ENV NAME value with spaces
        const [name, ...rest] = args.trim().split(/\s+/);
        return [[name, unquote(rest.join(" "))]];
    }
    return words.map((word) => {
        const equals = word.indexOf("=");
        return [equals < 0 ? word : word.slice(0, equals), equals < 0 ? "" : unquote(word.slice(equals + 1))];
    });
}

/** Splits on whitespace outside quotes. */
function splitWords(text: string): string[] {
    const words: string[] = [];
    let current = "";
    let quote: string | undefined;
    for (const char of text) {
        if (quote) {
            current += char;
            if (char === quote) {
                quote = undefined;
            }
        } else if (char === '"' || char === "'") {
            quote = char;
            current += char;
        } else if (/\s/.test(char)) {
            if (current) {
                words.push(current);
            }
            current = "";
        } else {
            current += char;
        }
    }
    if (current) {
        words.push(current);
    }
    return words;
}

function checkSecret(keyword: "ENV" | "ARG", name: string, value: string | undefined, line: number, findings: Finding[]): void {
    if (!namesSecret(name) || value === undefined || value === "") {
        return;
    }
    if (/^\$\{?[A-Za-z_][A-Za-z0-9_]*\}?$/.test(value)) {
        return; // a reference to a build argument, not a literal
    }
    findings.push({
        line, rule: "secret-literal",
        message: `${keyword} ${name} has a literal value, which stays in the image; mount the secret at run time (or RUN --mount=type=secret at build time)`,
    });
}

/** Splits a shell command line into simple commands at &&, ||, ;, | and newlines. */
function simpleCommands(script: string): string[] {
    return script.split(/&&|\|\||;|\||\n/).map((c) => c.trim()).filter((c) => c !== "");
}

function checkApt(args: string, line: number, findings: Finding[]): void {
    // Flags of RUN itself (--mount=…, --network=…) come first.
    const flags = args.match(/^(\s*--\S+)*/)?.[0] ?? "";
    const script = args.slice(flags.length);
    const installs = simpleCommands(script).filter((command) => /\bapt(-get)?\b(\s+\S+)*?\s+install\b/.test(command));
    if (installs.length === 0) {
        return;
    }
    for (const command of installs) {
        if (!/--no-install-recommends\b|APT::Install-Recommends=(false|0)/.test(command)) {
            findings.push({
                line, rule: "apt-no-recommends",
                message: `"${command.slice(0, 80)}" installs recommended packages too; add --no-install-recommends`,
            });
        }
    }
    const cachedLists = /--mount=[^\s]*type=cache[^\s]*target=\/var\/lib\/apt(\/lists)?\/?(,|\s|$)/.test(flags) ||
        /--mount=[^\s]*target=\/var\/lib\/apt(\/lists)?\/?[^\s]*type=cache/.test(flags);
    const removesLists = simpleCommands(script).some((command) => /(^|\s)rm\s+(-[-\w]+\s+)*.*\/var\/lib\/apt\/lists/.test(command));
    if (!cachedLists && !removesLists) {
        findings.push({
            line, rule: "apt-lists-cleanup",
            message: "this RUN installs with apt-get but leaves /var/lib/apt/lists in the layer; end it with rm -rf /var/lib/apt/lists/*",
        });
    }
}

function checkAdd(args: string, line: number, findings: Finding[]): void {
    const words = args.trim().startsWith("[")
        ? safeJsonArray(args)
        : splitWords(args).filter((w) => !w.startsWith("--")).map(unquote);
    const sources = words.slice(0, -1);
    for (const source of sources) {
        if (/^(https?|ftp):\/\//i.test(source) || /^git@/.test(source) || /\.git(#.*)?$/.test(source) && /:\/\//.test(source)) {
            findings.push({
                line, rule: "add-remote",
                message: `ADD fetches ${source} at build time, unpinned; download it in a RUN that checks a sha256, or vendor it and COPY`,
            });
        }
    }
}

function safeJsonArray(text: string): string[] {
    try {
        const parsed = JSON.parse(text);
        return Array.isArray(parsed) ? parsed.map(String) : [];
    } catch {
        return [];
    }
}

export function formatFinding(file: string, finding: Finding): string {
    return `${file}:${finding.line}: [${finding.rule}] ${finding.message}`;
}
