/**
 * What the policies know about the stack: its own contract (components/contract), imported rather than
 * mirrored, so a renamed label or port reaches the pack with the program. The pack runs where the
 * repository is (`pulumi preview --policy-pack policies`), so the program's folder is there too.
 */
import { RETAIN_ANNOTATION, SUDO_LABEL } from "../../components/contract/labels";
import { PORT_NAMES, PORTS } from "../../components/contract/pod";

export { AGENT_LABEL, COMPUTER_POD_LABELS } from "../../components/contract/labels";

/** MCP ports of the computer: container port names and numbers. */
export const MCP_PORTS: ReadonlyArray<{ name: string; number: number }> = (["computerControl", "shell"] as const).map(
    (server) => ({ name: PORT_NAMES[server], number: PORTS[server] }),
);

/**
 * Pod label or annotation opting a pod into privilege escalation (sudo in the agent's shell).
 * Only the value "true" counts.
 */
export const SUDO_OPT_IN = SUDO_LABEL;

/**
 * Label or annotation on a PersistentVolumeClaim saying whether the stack retains it on delete.
 * "false": the operator chose removable storage (storage.retainOnDelete: false), the claim may go.
 * "true": the stack set retainOnDelete. The policy engine does not pass retainOnDelete to policies
 * (AnalyzerResourceOptions has no such field as of Pulumi 3.276), so under `pulumi preview
 * --policy-pack` this marker is what the policy reads; where the option is visible it must agree.
 */
export const RETAIN_MARKER = RETAIN_ANNOTATION;
