/**
 * kubectl against the real tier's own API server (tests/real/run.sh starts it and exports KUBECONFIG).
 */
import { spawnSync } from "node:child_process";
import { SECRET_SIG } from "../harness/program";

export interface CommandResult {
    status: number | null;
    stdout: string;
    stderr: string;
}

export function kubeconfig(): string {
    const file = process.env.KUBECONFIG;
    if (!file) {
        throw new Error(
            "KUBECONFIG is not set: run the real tier through tests/real/run.sh, which starts its own API server",
        );
    }
    return file;
}

export function kubectl(args: string[], input?: string): CommandResult {
    const run = spawnSync("kubectl", ["--kubeconfig", kubeconfig(), ...args], {
        input,
        encoding: "utf8",
        timeout: 120_000,
        maxBuffer: 64 * 1024 * 1024,
    });
    if (run.error) {
        throw run.error;
    }
    return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

/** The object as the API server stores it, or undefined when it does not exist. */
export function getObject(resource: string, name: string, namespace?: string): any | undefined {
    const result = kubectl(["get", resource, name, ...(namespace ? ["-n", namespace] : []), "-o", "json"]);
    if (result.status !== 0) {
        if (/NotFound|not found/.test(result.stderr)) {
            return undefined;
        }
        throw new Error(`kubectl get ${resource} ${name}: ${result.stderr}`);
    }
    return JSON.parse(result.stdout);
}

/** Pulumi mocks hand secret inputs over wrapped ({<sig>: …, value}); the provider sends the value inside. */
export function unwrapSecrets(value: any): any {
    if (Array.isArray(value)) {
        return value.map(unwrapSecrets);
    }
    if (!value || typeof value !== "object") {
        return value;
    }
    if (SECRET_SIG in value && "value" in value) {
        return unwrapSecrets(value.value);
    }
    return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, unwrapSecrets(inner)]));
}

export function describeObject(object: any): string {
    const namespace = object?.metadata?.namespace ? `${object.metadata.namespace}/` : "";
    return `${object?.kind} ${namespace}${object?.metadata?.name} (${object?.apiVersion})`;
}

/**
 * Server-side dry-run of objects (one kubectl call; each is refused or accepted on its own): the API server decodes it strictly (unknown fields are errors),
 * validates it against the built-in or CRD schema and the CRD's CEL rules, runs admission, and stores
 * nothing. Server-side apply, so an object that already exists is validated as an update.
 */
export function dryRunApply(objects: any | any[]): CommandResult {
    const stream = [objects]
        .flat()
        .map((object) => JSON.stringify(object))
        .join("\n---\n");
    return kubectl(
        [
            "apply",
            "--server-side",
            "--force-conflicts",
            "--field-manager",
            "real-tier-dry-run",
            "--dry-run=server",
            "--validate=strict",
            "-f",
            "-",
        ],
        stream,
    );
}
