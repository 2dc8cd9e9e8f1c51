/**
 * Writes into the local node's Vault what a stack with `platform.vault.writeSecrets: false` leaves to its
 * operator (README, "Prerequisites"; docs/local-stack.md), for each agent of a stack file:
 *   - the agent's Vault policy and Kubernetes-auth role, exactly as the stack would create them;
 *   - its generated secrets (MCP token, VNC password, browser-view token), random alphanumeric values of
 *     the stack's lengths made here, written once and made again only when the agent's `rotation.*`
 *     counter changes (the counter is kept in the secret's custom metadata, as the stack keeps it in the
 *     random resource's keepers);
 *   - its provided secrets, only those still missing: the model API key from ANTHROPIC_API_KEY (or
 *     OPENAI_API_KEY) when set, else a stand-in; a Gitea token and registry password as random stand-ins
 *     (there is no Gitea or Harbor on the local node).
 *   npx tsx scripts/local-stack/vault-secrets.ts <cluster folder> <Pulumi.<stack>.yaml>
 * Values go to Vault on the vault CLI's standard input (scripts/node/vault.sh run), never on a command
 * line, into a file or to the output. Prints what it did, without values.
 */
import { spawnSync } from "node:child_process";
import { randomInt } from "node:crypto";
import * as path from "node:path";
import { type AgentVaultPlan, type VaultPlan, vaultPlan } from "./vault-plan";

const VAULT_SH = path.join(__dirname, "..", "node", "vault.sh");
const ALPHANUMERIC = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

const [clusterDir, stackFile] = process.argv.slice(2);
if (!clusterDir || !stackFile) {
    console.error("usage: tsx scripts/local-stack/vault-secrets.ts <cluster folder> <Pulumi.<stack>.yaml>");
    process.exit(2);
}

/** The vault CLI against the node's Vault; `input` goes to its standard input. */
function vault(args: string[], input?: string): { status: number | null; stdout: string; stderr: string } {
    const run = spawnSync("bash", [VAULT_SH, "run", clusterDir, ...args], {
        input,
        encoding: "utf8",
        maxBuffer: 16 * 1024 * 1024,
    });
    if (run.error) {
        throw run.error;
    }
    return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

function vaultOk(args: string[], input?: string): string {
    const result = vault(args, input);
    if (result.status !== 0) {
        // The arguments never hold a secret value; stderr is Vault's message.
        throw new Error(`vault ${args.join(" ")}: ${result.stderr.trim()}`);
    }
    return result.stdout;
}

/** The secret's fields and custom metadata, or empty ones when it does not exist yet. */
function readSecret(
    mount: string,
    secretPath: string,
): { data: Record<string, string>; metadata: Record<string, string> } {
    const result = vault(["kv", "get", "-format=json", `-mount=${mount}`, secretPath]);
    if (result.status !== 0) {
        if (/No value found/.test(result.stderr + result.stdout)) {
            return { data: {}, metadata: {} };
        }
        throw new Error(`vault kv get ${mount}/${secretPath}: ${result.stderr.trim()}`);
    }
    const secret = JSON.parse(result.stdout).data;
    return { data: secret?.data ?? {}, metadata: secret?.metadata?.custom_metadata ?? {} };
}

function randomText(length: number): string {
    return Array.from({ length }, () => ALPHANUMERIC[randomInt(ALPHANUMERIC.length)]).join("");
}

function writeAccess(plan: VaultPlan, agent: AgentVaultPlan): void {
    if (!agent.policy || !agent.role) {
        return; // a ClusterSecretStore: the shared store's access is the platform's
    }
    vaultOk(["policy", "write", agent.policy.name, "-"], agent.policy.text);
    vaultOk([
        "write",
        `auth/${plan.authMount}/role/${agent.role.name}`,
        `bound_service_account_names=${agent.role.serviceAccounts.join(",")}`,
        `bound_service_account_namespaces=${agent.role.namespaces.join(",")}`,
        `audience=${agent.role.audience}`,
        `token_policies=${agent.policy.name}`,
        `token_ttl=${agent.role.tokenTtl}`,
        `token_max_ttl=${agent.role.tokenMaxTtl}`,
    ]);
}

function writeGenerated(plan: VaultPlan, agent: AgentVaultPlan): string[] {
    const current = readSecret(plan.mount, agent.paths.generated);
    const data = { ...current.data };
    const made: string[] = [];
    for (const { field, length, rotation } of agent.generated) {
        if (data[field] === undefined || current.metadata[`rotation-${field}`] !== String(rotation)) {
            data[field] = randomText(length);
            made.push(field);
        }
    }
    if (made.length > 0) {
        vaultOk(["kv", "put", `-mount=${plan.mount}`, agent.paths.generated, "-"], JSON.stringify(data));
        vaultOk([
            "kv",
            "metadata",
            "patch",
            `-mount=${plan.mount}`,
            ...agent.generated.map(({ field, rotation }) => `-custom-metadata=rotation-${field}=${rotation}`),
            agent.paths.generated,
        ]);
    }
    return made;
}

function standIn(field: string): string {
    if (field === "model-api-key") {
        return process.env.ANTHROPIC_API_KEY || process.env.OPENAI_API_KEY || "not-set-on-the-local-stack";
    }
    return randomText(32);
}

function writeProvided(plan: VaultPlan, agent: AgentVaultPlan): string[] {
    const current = readSecret(plan.mount, agent.paths.provided);
    const missing = agent.provided.filter((field) => current.data[field] === undefined);
    if (missing.length > 0) {
        const data = { ...current.data, ...Object.fromEntries(missing.map((field) => [field, standIn(field)])) };
        vaultOk(["kv", "put", `-mount=${plan.mount}`, agent.paths.provided, "-"], JSON.stringify(data));
    }
    return missing;
}

const plan = vaultPlan(stackFile);
for (const agent of plan.agents) {
    if (agent.fromConfig.length > 0) {
        throw new Error(
            `${agent.name}: ${agent.fromConfig.join(", ")} come from stack config or certificates the stack issues: they need platform.vault.writeSecrets: true`,
        );
    }
    writeAccess(plan, agent);
    const generated = writeGenerated(plan, agent);
    const provided = writeProvided(plan, agent);
    console.log(
        `vault: ${agent.name}: ${agent.policy ? `policy and role ${agent.policy.name}` : "the platform's store"}; ` +
            `${plan.mount}/${agent.paths.generated}: ${generated.length ? `made ${generated.join(", ")}` : "unchanged"}; ` +
            `${plan.mount}/${agent.paths.provided}: ${provided.length ? `stand-ins for ${provided.join(", ")}` : "unchanged"}`,
    );
}
