// Hand-written equivalents of a few CEL rules (x-kubernetes-validations) that the JSON-schema pass cannot
// evaluate. `message` is the upstream rule's message verbatim, so a test can detect upstream drift.
//
// CEL rules in the served versions we use (kagent 0.10.0-rc3, ESO 2.9.0):
//   Agent v1alpha2: spec: has(type), type in {Declarative, BYO}, type matches the filled block (declarative|byo);
//     spec.allowedNamespaces: selector when from=Selector; spec.declarative: systemMessage xor systemMessageFrom;
//     spec.{declarative,byo}.deployment: not both serviceAccountName and serviceAccountConfig;
//     spec.declarative.tools[]: mcpServer iff type=McpServer, agent iff type=Agent, isolateSessions only for Agent;
//     tools[].headersFrom[]: exactly one of value/valueFrom; tools[].mcpServer: requireApproval ⊆ toolNames.
//   ModelConfig v1alpha2: spec.<provider block> only with that provider (openAI, anthropic, azureOpenAI, ollama,
//     gemini, geminiVertexAI, anthropicVertexAI, bedrock, sapAICore, foundry); apiKeySecretKey <-> apiKeySecret
//     (except Bedrock/SAPAICore); apiKeyPassthrough vs apiKeySecret and vs Gemini*/AnthropicVertexAI; openAI
//     tokenExchange rules; foundry endpoint xor endpointFrom; openAI maxTokens vs maxCompletionTokens; tls CA rules.
//   RemoteMCPServer v1alpha2: no spec.tls with an http:// url; allowedNamespaces All/Selector vs tls CA secret;
//     allowedNamespaces selector; headersFrom[]: exactly one of value/valueFrom; tls CA rules.
//   ExternalSecret v1: none. SecretStore v1: only for providers we do not use (aws tags, crd, doppler, nebius,
//     onepasswordSDK, openBao, pulumi, secretserver); none for vault.
// Checked below (marked *): the Agent type/block, tools[] type/block, headersFrom, requireApproval,
// systemMessage, serviceAccount rules; ModelConfig provider blocks and apiKeySecret pairing; RemoteMCPServer
// http+tls and headersFrom. Everything else is NOT checked.
import type { Issue } from './crdSchemas';

export interface CelRule { apiVersion: string; kind: string; at: string; message: string; ok(self: any): boolean }

const has = (o: any, k: string) => o != null && typeof o === 'object' && o[k] !== undefined && o[k] !== null;
const oneOfValue = (self: any) => has(self, 'value') !== has(self, 'valueFrom');
const PROVIDERS: [string, string][] = [['openAI', 'OpenAI'], ['anthropic', 'Anthropic'], ['azureOpenAI', 'AzureOpenAI'],
  ['ollama', 'Ollama'], ['gemini', 'Gemini'], ['geminiVertexAI', 'GeminiVertexAI'], ['anthropicVertexAI', 'AnthropicVertexAI'],
  ['bedrock', 'Bedrock'], ['sapAICore', 'SAPAICore'], ['foundry', 'Foundry']];
const provider = (spec: any) => spec.provider ?? 'OpenAI'; // CRD default, applied before CEL runs

const K2 = 'kagent.dev/v1alpha2';
export const CEL_RULES: CelRule[] = [
  { apiVersion: K2, kind: 'Agent', at: 'spec', message: 'type must be specified', ok: (s) => has(s, 'type') },
  { apiVersion: K2, kind: 'Agent', at: 'spec',
    message: 'declarative must be specified if type is Declarative, or byo must be specified if type is BYO',
    ok: (s) => (s.type === 'Declarative' && has(s, 'declarative')) || (s.type === 'BYO' && has(s, 'byo')) },
  { apiVersion: K2, kind: 'Agent', at: 'spec.declarative', message: 'systemMessage and systemMessageFrom are mutually exclusive',
    ok: (s) => !has(s, 'systemMessage') || !has(s, 'systemMessageFrom') },
  ...['spec.declarative.deployment', 'spec.byo.deployment'].map((at) => ({ apiVersion: K2, kind: 'Agent', at,
    message: 'serviceAccountName and serviceAccountConfig are mutually exclusive',
    ok: (s: any) => !(has(s, 'serviceAccountName') && has(s, 'serviceAccountConfig')) })),
  { apiVersion: K2, kind: 'Agent', at: 'spec.declarative.tools[]', message: 'type.mcpServer must be nil if the type is not McpServer',
    ok: (s) => !(has(s, 'mcpServer') && s.type !== 'McpServer') },
  { apiVersion: K2, kind: 'Agent', at: 'spec.declarative.tools[]', message: 'type.mcpServer must be specified for McpServer filter.type',
    ok: (s) => !(!has(s, 'mcpServer') && s.type === 'McpServer') },
  { apiVersion: K2, kind: 'Agent', at: 'spec.declarative.tools[]', message: 'type.agent must be nil if the type is not Agent',
    ok: (s) => !(has(s, 'agent') && s.type !== 'Agent') },
  { apiVersion: K2, kind: 'Agent', at: 'spec.declarative.tools[]', message: 'type.agent must be specified for Agent filter.type',
    ok: (s) => !(!has(s, 'agent') && s.type === 'Agent') },
  { apiVersion: K2, kind: 'Agent', at: 'spec.declarative.tools[].mcpServer',
    message: 'each RequireApproval entry must also appear in ToolNames',
    ok: (s) => !has(s, 'requireApproval') || s.requireApproval.every((x: string) => (s.toolNames ?? []).includes(x)) },
  { apiVersion: K2, kind: 'Agent', at: 'spec.declarative.tools[].headersFrom[]',
    message: 'Exactly one of value or valueFrom must be specified', ok: oneOfValue },
  ...PROVIDERS.map(([block, name]) => ({ apiVersion: K2, kind: 'ModelConfig', at: 'spec',
    message: `provider.${block} must be nil if the provider is not ${name}`,
    ok: (s: any) => !(has(s, block) && provider(s) !== name) })),
  { apiVersion: K2, kind: 'ModelConfig', at: 'spec', message: 'apiKeySecret must be set if apiKeySecretKey is set',
    ok: (s) => !(has(s, 'apiKeySecretKey') && !has(s, 'apiKeySecret')) },
  { apiVersion: K2, kind: 'ModelConfig', at: 'spec',
    message: 'apiKeySecretKey must be set if apiKeySecret is set (except for Bedrock and SAPAICore providers)',
    ok: (s) => !(has(s, 'apiKeySecret') && !has(s, 'apiKeySecretKey') && !['Bedrock', 'SAPAICore'].includes(provider(s))) },
  { apiVersion: K2, kind: 'RemoteMCPServer', at: 'spec.headersFrom[]',
    message: 'Exactly one of value or valueFrom must be specified', ok: oneOfValue },
  { apiVersion: K2, kind: 'RemoteMCPServer', at: 'spec',
    message: 'spec.tls must be unset when spec.url has http:// scheme: a TLS opinion contradicts a plaintext URL. ' +
      'Either drop spec.tls, or use https:// / a scheme-less URL.',
    ok: (s) => !(typeof s.url === 'string' && s.url.startsWith('http://') && has(s, 'tls')) },
];

/** Nodes at a path like "spec.declarative.tools[].mcpServer", with their concrete paths. */
function select(obj: any, at: string): [any, string][] {
  let nodes: [any, string][] = [[obj, '']];
  for (const seg of at.split('.')) {
    const name = seg.replace(/\[\]$/, '');
    nodes = nodes.flatMap(([n, p]) => {
      const v = n?.[name];
      const q = p ? `${p}.${name}` : name;
      if (v == null || typeof v !== 'object') return [];
      if (!seg.endsWith('[]')) return Array.isArray(v) ? [] : [[v, q]];
      return Array.isArray(v) ? v.map((x, i): [any, string] => [x, `${q}[${i}]`]).filter(([x]) => x && typeof x === 'object') : [];
    });
  }
  return nodes;
}

export function checkCel(obj: any): Issue[] {
  const issues: Issue[] = [];
  for (const r of CEL_RULES) {
    if (r.apiVersion !== obj.apiVersion || r.kind !== obj.kind) continue;
    for (const [self, p] of select(obj, r.at)) {
      let ok: boolean;
      try { ok = r.ok(self); } catch { ok = true; } // malformed value: the schema pass reports it
      if (!ok) issues.push({ path: p, message: `${r.message} (CEL rule, hand-checked)` });
    }
  }
  return issues;
}
