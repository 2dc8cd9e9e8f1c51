/**
 * What the stack relies on of Kagent 0.10 (kagent.dev/v1alpha2): the API version of its objects, the
 * port its agent runtime serves A2A on, where its controller's API is, and the environment variable its
 * controller gives the runtime for each model provider's key (kagent-dev/kagent, release/v0.10.x).
 */
export const KAGENT_API_VERSION = "kagent.dev/v1alpha2";

/** Kagent's agent runtime serves A2A here; kagent's UI and controller call it. */
export const KAGENT_AGENT_PORT = 8080;

/** The controller's own API (sessions and tasks), `kagent-controller.<kagent namespace>:8083`. */
export const KAGENT_CONTROLLER = { service: "kagent-controller", port: 8083 } as const;

/** The API key's variable per provider (core/pkg/env/providers.go). */
export const MODEL_API_KEY_ENV: Readonly<Record<string, string>> = {
    Anthropic: "ANTHROPIC_API_KEY",
    OpenAI: "OPENAI_API_KEY",
};
