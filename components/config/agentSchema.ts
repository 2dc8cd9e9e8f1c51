/** One entry of the `agents` list: what the operator may say about an agent, with its defaults. */
import { z } from "zod";
import { type ContainerResources, DEFAULT_RESOURCES, RESOURCES_KEYS, type ResourceFigures } from "./defaults";
import { OWN_PATH, flag, oneOf, strictObject, text, wholeNumber } from "./fields";
import * as formats from "./formats";
import { allowDomainsSchema, egressRulesSchema, viewersSchema } from "./networkSchema";
import { agentBackupSchema, restoreFromSchema } from "./operationsSchema";

export const MAX_AGENT_NAME = 40;

/** Below this a computer would sleep between two steps of one task: a desktop takes seconds to wake. */
export const MIN_IDLE_AFTER_SECONDS = 30;

/** `suspend.idleAfter`, the agent's and the platform's default. */
export function idleAfter(text: string): string | undefined {
    if (text === "never") {
        return undefined;
    }
    const seconds = formats.parseDuration(text);
    if (seconds === undefined) {
        return "is not a duration (a whole number followed by s, m or h, e.g. 30m) or never";
    }
    return seconds < MIN_IDLE_AFTER_SECONDS ? `is shorter than ${MIN_IDLE_AFTER_SECONDS}s; use e.g. 30m` : undefined;
}

export const MODEL_PROVIDERS = ["Anthropic", "OpenAI"] as const;
export type ModelProvider = (typeof MODEL_PROVIDERS)[number];
/** The secret config key that holds the model API key, per provider. */
export const MODEL_KEY_FIELD: Record<ModelProvider, "anthropicApiKey" | "openaiApiKey"> = {
    Anthropic: "anthropicApiKey",
    OpenAI: "openaiApiKey",
};

/** Kagent copies the system message into the Agent and its config Secret; 32 KiB is far above any prompt we use. */
const MAX_SYSTEM_MESSAGE_BYTES = 32 * 1024;
const MAX_DESCRIPTION = 1024;

const figures = (defaults: ResourceFigures) =>
    strictObject({
        cpu: text({ check: formats.cpuQuantity }).default(defaults.cpu),
        memory: text({ check: formats.memoryQuantity }).default(defaults.memory),
    }).prefault({});

const containerResources = (defaults: ContainerResources) =>
    strictObject({
        requests: figures(defaults.requests),
        limits: figures(defaults.limits),
    })
        .optional()
        .meta({
            description: `\`{requests, limits}: {cpu, memory}\`; default requests ${show(defaults.requests)}, limits ${show(defaults.limits)}`,
            referenceAsOneRow: true,
        });

function show(figures: ResourceFigures): string {
    return `${figures.cpu}/${figures.memory}`;
}

const maxBytes = (limit: number) => (value: string) => {
    const bytes = Buffer.byteLength(value, "utf8");
    return bytes > limit
        ? `is ${bytes} bytes long; the limit is ${limit} (${limit / 1024} KiB): shorten it`
        : undefined;
};

/** `gitea: false` is the short form of `gitea: {enabled: false}`. */
const credential = <E extends z.core.$ZodLooseShape = Record<never, never>>(usernameDefault: string, extra?: E) =>
    z
        .preprocess(
            (value) =>
                typeof value === "boolean" || value === "true" || value === "false" ? { enabled: value } : value,
            strictObject({
                enabled: flag().default(true).meta({
                    description: "`false` (short form: `<credential>: false`) gives the agent no such credential",
                }),
                username: text({ check: formats.username })
                    .optional()
                    .meta({ description: `default: ${usernameDefault}` }),
                ...(extra ?? ({} as E)),
            }),
        )
        .prefault({});

const secretValue = () => text().optional();

/** One entry of `agents`, its keys alone; schema.ts adds the rules across them (agentRules.ts checkAgent). */
export const agentFields = strictObject({
    name: text({ check: formats.dnsLabel(MAX_AGENT_NAME), hint: `pulumi config set --path '${OWN_PATH}' devbot` }).meta(
        {
            description: `DNS-1035 label (starts with a letter), at most ${MAX_AGENT_NAME} characters, unique; the kagent Agent's name`,
        },
    ),
    namespace: text({ check: formats.dnsLabel() })
        .optional()
        .meta({ description: "the agent's own namespace, never shared; default `<namespacePrefix><name>`" }),
    description: text({
        check: (t) => (t.length > MAX_DESCRIPTION ? `is longer than ${MAX_DESCRIPTION} characters` : undefined),
        quoteValue: false,
    })
        .optional()
        .meta({ description: `the Agent's description (at most ${MAX_DESCRIPTION} characters); default generated` }),
    systemMessage: text({ check: maxBytes(MAX_SYSTEM_MESSAGE_BYTES), quoteValue: false })
        .optional()
        .meta({
            description: `the system prompt, at most ${MAX_SYSTEM_MESSAGE_BYTES / 1024} KiB; default tells the agent its tools and workspace`,
        }),
    model: strictObject({
        provider: oneOf(MODEL_PROVIDERS).default("Anthropic").meta({ description: "the ModelConfig's provider" }),
        name: text().default("claude-sonnet-4-5").meta({ description: "the model" }),
        maxTokens: wholeNumber(1, 1_000_000).optional().meta({
            description:
                "the provider's maxTokens (OpenAI only: Kagent 0.10's runtime ignores Anthropic's); default the provider's own",
        }),
        baseUrl: text({ check: formats.modelBaseUrl })
            .optional()
            .meta({ description: "the model API's base URL (a gateway or proxy); default the provider's own" }),
    })
        .prefault({})
        .meta({ description: "the ModelConfig" }),
    desktop: strictObject({
        enabled: flag().default(true).meta({ description: "Xfce desktop and computer-control sidecar" }),
        resolution: text({ check: formats.resolution })
            .optional()
            .meta({ description: "screen size; default 1280x800" }),
        screenshots: strictObject({
            format: oneOf(["png", "jpeg"]).default("png").meta({
                description:
                    "`png`: the exact pixels; `jpeg`: about a third smaller, lossy (computer-control's SCREENSHOT_FORMAT)",
            }),
            quality: wholeNumber(1, 100).default(85).meta({ description: "JPEG quality (jpeg only)" }),
        }).prefault({}),
        browserView: strictObject({
            enabled: flag()
                .default(false)
                .meta({ description: "noVNC view of the desktop in a browser (`browser-view` container, port 6080)" }),
            mode: oneOf(["view-only", "interactive"]).default("view-only").meta({
                description:
                    "`interactive` lets viewers use mouse and keyboard; switching needs no restart (a ConfigMap file)",
            }),
        }).prefault({}),
        recording: strictObject({
            enabled: flag().default(false).meta({
                description:
                    "record the desktop to the config volume, replayed in the browser view (needs desktop.browserView.enabled)",
            }),
            maxAgeDays: wholeNumber(1, 3650)
                .default(14)
                .meta({ description: "recordings older than this are deleted, oldest first" }),
            maxSize: text({ check: formats.storageQuantity }).default("1Gi").meta({
                description: "recordings kept at most, oldest deleted first; below storage.config",
            }),
            duringTakeover: flag().default(false).meta({
                description:
                    "also record while a person has taken over (interactive mode, a viewer connected); off: privacy",
            }),
        }).prefault({}),
    }).prefault({}),
    storage: strictObject({
        workspace: text({ check: formats.storageQuantity })
            .default("20Gi")
            .meta({ description: "size of the workspace PVC" }),
        config: text({ check: formats.storageQuantity })
            .default("5Gi")
            .meta({ description: "size of the ~/.config PVC" }),
        storageClass: text({ check: formats.dnsSubdomain }).optional().meta({ description: "default: the platform's" }),
        retainOnDelete: flag().default(true).meta({ description: "keep namespace and PVCs when the agent is removed" }),
        backup: agentBackupSchema,
        restoreFrom: restoreFromSchema,
    }).prefault({}),
    resources: strictObject(
        Object.fromEntries(RESOURCES_KEYS.map((key) => [key, containerResources(DEFAULT_RESOURCES[key])])) as Record<
            (typeof RESOURCES_KEYS)[number],
            ReturnType<typeof containerResources>
        >,
    ).prefault({}),
    credentials: strictObject({
        gitea: credential("the agent's name", {
            brokered: flag().default(false).meta({
                description:
                    "the agent's egress proxy adds the token to its git requests to `platform.giteaHost`, and the computer never holds it; git there speaks plain HTTP to the proxy (needs `network.allowDomains`; docs/architecture.md, credential brokering)",
            }),
        }),
        harbor: credential("robot$<imageRepository>+<name>"),
    }).prefault({}),
    secrets: strictObject({
        source: oneOf(["vault", "config"]).optional().meta({
            description: "where the operator's secrets come from; default `config` when values are given, else `vault`",
        }),
        anthropicApiKey: secretValue().meta({ description: "with --secret only" }),
        openaiApiKey: secretValue().meta({ description: "with --secret only" }),
        giteaToken: secretValue().meta({ description: "with --secret only" }),
        harborPassword: secretValue().meta({ description: "with --secret only" }),
    }).prefault({}),
    rotation: strictObject({
        mcpToken: wholeNumber(0, 1_000_000)
            .default(0)
            .meta({ description: "bump to regenerate; the Agent re-renders with the new token" }),
        vncPassword: wholeNumber(0, 1_000_000).default(0).meta({ description: "bump to regenerate" }),
        browserViewToken: wholeNumber(0, 1_000_000).default(0).meta({
            description:
                "bump to regenerate the browser-view login token; open sessions end within a second of the new token reaching the pod",
        }),
    }).prefault({}),
    network: strictObject({
        computerEgress: egressRulesSchema().meta({ description: "added to the platform's" }),
        agentEgress: egressRulesSchema().meta({ description: "added to the platform's" }),
        allowDomains: allowDomainsSchema().meta({
            description:
                "added to the platform's: hosts the computer reaches through its egress proxy, `{host, ports}` or a host alone (port 443)",
        }),
        vncViewers: viewersSchema.optional().meta({ description: "replace the platform's" }),
    }).prefault({}),
    runtimeClassName: text({ check: formats.dnsSubdomain })
        .optional()
        .meta({ description: "e.g. gvisor or kata for the computer pod" }),
    sudo: flag().default(false).meta({
        description:
            "passwordless sudo in the computer: the pod may escalate privileges and the namespace enforces `baseline`",
    }),
    suspended: flag().default(false).meta({
        description:
            "scale the computer and the kagent agent pod to zero; everything else (the workspace too) stays; a call does not wake it",
    }),
    suspend: strictObject({
        idleAfter: text({ check: idleAfter })
            .optional()
            .meta({
                description: `no MCP call, no running shell job and no viewer for this long (e.g. \`30m\`, at least ${MIN_IDLE_AFTER_SECONDS} s): the computer sleeps until the next call; \`never\` keeps it up; default \`platform.suspend.idleAfter\`; needs \`platform.suspend.enabled\``,
            }),
        wakeTimeout: text({ check: formats.duration }).optional().meta({
            description:
                "a call that finds the computer asleep waits this long at most for it to answer; default `platform.suspend.wakeTimeout`",
        }),
    }).prefault({}),
});

export type AgentConfig = z.output<typeof agentFields>;
