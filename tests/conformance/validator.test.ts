import * as assert from 'assert';
import { spawnSync } from 'child_process';
import { knownKinds, skipReason, upstreamSchemasAvailable, validateManifest, validateManifests } from './index';
import { CEL_RULES } from './celRules';
import { crdKinds, findCrd, validateCustom } from './crdSchemas';
import * as s from './samples';

/** Skip (with the reason in the title) when ../shared/upstream is absent. */
function needUpstream(ctx: Mocha.Context) {
  if (upstreamSchemasAvailable()) return;
  const test = ctx.currentTest ?? ctx.test!; // in a beforeEach hook, ctx.test is the hook
  test.title += ` (skipped: ${skipReason})`;
  ctx.skip();
}

/** Asserts that some error names `path` and contains `text`. */
function assertError(errors: string[], pathAndMessage: string) {
  assert.ok(errors.some((e) => e.includes(pathAndMessage)),
    `expected an error containing ${JSON.stringify(pathAndMessage)}, got:\n  ${errors.join('\n  ') || '(none)'}`);
}

const mutate = <T>(obj: T, f: (o: any) => void): T => { f(obj); return obj; };

describe('conformance validator: built-in kinds (kubernetes-models)', () => {
  it('accepts the Deployment, NetworkPolicy and Service samples, and free-form maps', () => {
    const configMap = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'n' },
      data: { 'any.key': 'x', AnotherKey: 'y' } };
    const secret = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's', namespace: 'n', annotations: { 'a.b/c': 'd' } },
      type: 'Opaque', data: { token: Buffer.from('t').toString('base64') }, stringData: { other: 'plain' } };
    assert.deepStrictEqual(validateManifests([s.deployment(), s.networkPolicy(), s.service(), configMap, secret]), []);
  });

  it('rejects a misspelled field (spec.replica) and a misspelled nested field', () => {
    const errors = validateManifest(mutate(s.deployment(), (d) => {
      d.spec.replica = 2;
      d.spec.template.spec.containers[0].imagePullPolcy = 'Always';
    }));
    assertError(errors, 'Deployment agent-devbot/devbot-computer (apps/v1): spec.replica: unknown field');
    assertError(errors, 'spec.template.spec.containers[0].imagePullPolcy: unknown field');
    assert.strictEqual(errors.length, 2, errors.join('\n'));
  });

  it('rejects wrong types: string replicas, number label value', () => {
    const errors = validateManifest(mutate(s.deployment(), (d) => {
      d.spec.replicas = '2';
      d.metadata.labels.version = 3;
    }));
    assertError(errors, 'spec.replicas: must be integer');
    assertError(errors, 'metadata.labels.version: value must be a string');
  });

  it('rejects missing required fields and bad enums', () => {
    const errors = validateManifests([
      mutate(s.service(), (o) => { delete o.spec.ports[0].port; }),
      mutate(s.networkPolicy(), (o) => { o.spec.policyTypes = ['ingress']; }),
    ]);
    assertError(errors, 'Service agent-devbot/devbot-computer (v1): spec.ports[0].port: required field is missing');
    assertError(errors, 'NetworkPolicy agent-devbot/devbot-computer (networking.k8s.io/v1): spec.policyTypes[0]: must be one of');
  });

  it('checks names and scope: Service name is a DNS-1035 label, Namespace is cluster-scoped', () => {
    const errors = validateManifests([
      mutate(s.service(), (o) => { o.metadata.name = '1-computer'; }),
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'agent-devbot', namespace: 'default' } },
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { namespace: 'n' } },
    ]);
    assertError(errors, 'metadata.name: "1-computer" is not a DNS-1035 label');
    assertError(errors, 'Namespace default/agent-devbot (v1): metadata.namespace: Namespace is cluster-scoped');
    assertError(errors, 'ConfigMap n/<unnamed> (v1): metadata.name: required field is missing');
  });

  it('unwraps Pulumi mock secrets before validating', () => {
    const secret = (value: unknown) => ({ '4dabf18193072939515e22adb298388d': '1b47061264138c4ac30d75fd1eb44270', value });
    const ok = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's', namespace: 'n' }, stringData: { token: secret('t') } };
    assert.deepStrictEqual(validateManifest(ok), []);
    assertError(validateManifest({ ...ok, stringData: { token: secret(42) } }), 'stringData.token: must be string');
  });

  it('rejects unknown kinds and non-objects', () => {
    assertError(validateManifest({ apiVersion: 'v1', kind: 'Frobnicator', metadata: { name: 'x' } }),
      'no schema for v1 Frobnicator; add it');
    assertError(validateManifests([null]), '(root): not a Kubernetes object');
  });
});

describe('conformance validator: custom resources (upstream CRDs)', () => {
  beforeEach(function () { needUpstream(this); });

  it('knows every kind the stack creates', () => {
    const kinds = knownKinds().map((k) => `${k.apiVersion} ${k.kind}`);
    for (const k of ['kagent.dev/v1alpha2 Agent', 'kagent.dev/v1alpha2 RemoteMCPServer', 'kagent.dev/v1alpha2 ModelConfig',
      'external-secrets.io/v1 ExternalSecret', 'external-secrets.io/v1 SecretStore', 'apps/v1 Deployment', 'v1 Namespace']) {
      assert.ok(kinds.includes(k), `${k} missing from knownKinds()`);
    }
    assert.ok(!kinds.includes('external-secrets.io/v1beta1 ExternalSecret'), 'v1beta1 is served: false upstream');
  });

  it('compiles the schema of every served CRD version', () => {
    for (const crd of crdKinds()) assert.ok(Array.isArray(validateCustom(crd, {})), `${crd.kind} ${crd.version}`);
  });

  it('accepts the Agent, RemoteMCPServer, ModelConfig, ExternalSecret and SecretStore samples', () => {
    for (const o of [s.agent(), s.remoteMcpServer(), s.modelConfig(), s.externalSecret(), s.secretStore()]) {
      assert.deepStrictEqual(validateManifest(o), [], `${o.kind} should be valid`);
    }
  });

  it('rejects an Agent written in the v1alpha1 shape under v1alpha2', () => {
    const errors = validateManifest({
      apiVersion: 'kagent.dev/v1alpha2', kind: 'Agent', metadata: { name: 'devbot', namespace: 'agent-devbot' },
      spec: { description: 'd', systemMessage: 'hi', modelConfig: 'devbot-model',
        tools: [{ type: 'McpServer', mcpServer: { toolServer: 'devbot-computer', toolNames: ['run'] } }] },
    });
    assertError(errors, 'Agent agent-devbot/devbot (kagent.dev/v1alpha2): spec.systemMessage: unknown field');
    assertError(errors, 'spec.tools: unknown field');
    assertError(errors, 'spec: type must be specified');
  });

  it('rejects kagent.dev/v1alpha1 even though upstream still serves it', () => {
    assertError(validateManifest({ ...s.agent(), apiVersion: 'kagent.dev/v1alpha1' }),
      'apiVersion: this project uses kagent.dev/v1alpha2 only');
  });

  it('rejects unknown fields at any depth, and keeps preserve-unknown-fields open', () => {
    const errors = validateManifests([
      mutate(s.remoteMcpServer(), (o) => { o.spec.timout = '60s'; }),
      mutate(s.agent(), (o) => { o.spec.declarative.tools[0].mcpServer.toolname = ['run']; }),
      mutate(s.modelConfig(), (o) => { o.spec.anthropic.max_tokens = 100; }),
      mutate(s.externalSecret(), (o) => { o.spec.data[0].remoteRef.propery = 'x'; }),
    ]);
    assertError(errors, 'RemoteMCPServer agent-devbot/devbot-computer (kagent.dev/v1alpha2): spec.timout: unknown field');
    assertError(errors, 'spec.declarative.tools[0].mcpServer.toolname: unknown field');
    assertError(errors, 'spec.anthropic.max_tokens: unknown field');
    assertError(errors, 'spec.data[0].remoteRef.propery: unknown field');
    assert.strictEqual(errors.length, 4, errors.join('\n'));
    const bedrock = mutate(s.modelConfig(), (o) => {
      o.spec.provider = 'Bedrock'; delete o.spec.anthropic; delete o.spec.apiKeySecretKey;
      o.spec.bedrock = { region: 'us-east-1', additionalModelRequestFields: { top_k: 5, thinking: { type: 'enabled' } } };
    });
    assert.deepStrictEqual(validateManifest(bedrock), []);
  });

  it('rejects an ExternalSecret in external-secrets.io/v1beta1 (served: false)', () => {
    assertError(validateManifest({ ...s.externalSecret(), apiVersion: 'external-secrets.io/v1beta1' }),
      'apiVersion: external-secrets.io/v1beta1 ExternalSecret is not served by the upstream CRD (served: external-secrets.io/v1)');
  });

  it('rejects missing required fields, wrong types and bad enums', () => {
    const errors = validateManifests([
      mutate(s.remoteMcpServer(), (o) => { delete o.spec.url; o.spec.protocol = 'HTTP'; }),
      mutate(s.modelConfig(), (o) => { o.spec.anthropic.maxTokens = '1000'; }),
      mutate(s.agent(), (o) => { o.spec.declarative.deployment = { resources: { limits: { cpu: 2, memory: true } } }; }),
      mutate(s.externalSecret(), (o) => { o.spec.target.template.engineVersion = 'v1'; }),
    ]);
    assertError(errors, 'RemoteMCPServer agent-devbot/devbot-computer (kagent.dev/v1alpha2): spec.url: required field is missing');
    assertError(errors, 'spec.protocol: must be one of ["SSE","STREAMABLE_HTTP"]');
    assertError(errors, 'spec.anthropic.maxTokens: must be integer');
    assertError(errors, 'spec.declarative.deployment.resources.limits.memory: must be integer or string'); // int-or-string
    assertError(errors, 'spec.target.template.engineVersion: must be one of ["v2"]');
    assert.ok(!errors.some((e) => e.includes('limits.cpu')), 'cpu: 2 is a valid int-or-string');
  });

  it('checks metadata: DNS-1123 name, namespace required for namespaced CRDs, none for cluster-scoped', () => {
    const store = { ...s.secretStore(), kind: 'ClusterSecretStore', metadata: { name: 'vault', namespace: 'x' } };
    const errors = validateManifests([
      mutate(s.agent(), (o) => { o.metadata.name = 'DevBot'; }),
      mutate(s.modelConfig(), (o) => { delete o.metadata.namespace; }),
      store,
    ]);
    assertError(errors, 'metadata.name: "DevBot" is not a DNS-1123 subdomain');
    assertError(errors, 'ModelConfig devbot-model (kagent.dev/v1alpha2): metadata.namespace: required');
    assertError(errors, 'metadata.namespace: ClusterSecretStore is cluster-scoped');
  });

  it('hand-checks the important CEL rules', () => {
    const errors = validateManifests([
      mutate(s.agent(), (o) => { o.spec.type = 'BYO'; }),
      mutate(s.agent(), (o) => { o.spec.declarative.tools[0].mcpServer.requireApproval = ['rm']; }),
      mutate(s.agent(), (o) => { o.spec.declarative.tools[0].type = 'Agent'; }),
      mutate(s.modelConfig(), (o) => { delete o.spec.provider; }), // defaults to OpenAI
      mutate(s.modelConfig(), (o) => { delete o.spec.apiKeySecretKey; }),
      mutate(s.remoteMcpServer(), (o) => { o.spec.headersFrom[0].value = 'Bearer x'; o.spec.tls = { disableVerify: true }; }),
    ]);
    for (const e of [
      'spec: declarative must be specified if type is Declarative, or byo must be specified if type is BYO',
      'spec.declarative.tools[0].mcpServer: each RequireApproval entry must also appear in ToolNames',
      'spec.declarative.tools[0]: type.mcpServer must be nil if the type is not McpServer',
      'spec.declarative.tools[0]: type.agent must be specified for Agent filter.type',
      'spec: provider.anthropic must be nil if the provider is not Anthropic',
      'spec: apiKeySecretKey must be set if apiKeySecret is set',
      'spec.headersFrom[0]: Exactly one of value or valueFrom must be specified',
      'spec: spec.tls must be unset when spec.url has http:// scheme',
    ]) assertError(errors, e);
  });

  it('hand-checked CEL rules still exist upstream (drift check)', () => {
    for (const r of CEL_RULES) {
      const crd = findCrd(r.apiVersion, r.kind)!;
      const messages: string[] = [];
      JSON.stringify(crd.schema, (k, v) => {
        if (k === 'x-kubernetes-validations') messages.push(...v.map((x: any) => x.message));
        return v;
      });
      assert.ok(messages.includes(r.message), `${r.kind} rule "${r.message}" not found upstream: update celRules.ts`);
    }
  });
});

describe('conformance validator without upstream schemas', () => {
  it('reports unavailability, names the reason, and still validates built-in kinds', function () {
    this.timeout(60_000);
    const script = `
      const v = require('./index');
      const s = require('./samples');
      console.log(JSON.stringify({ available: v.upstreamSchemasAvailable(), reason: v.skipReason,
        agent: v.validateManifest(s.agent()), deployment: v.validateManifest(s.deployment()),
        bad: v.validateManifest({ ...s.deployment(), spec: { ...s.deployment().spec, replica: 1 } }) }));`;
    const r = spawnSync(process.execPath, ['-r', require.resolve('tsx/cjs'), '-e', script],
      { cwd: __dirname, env: { ...process.env, CONFORMANCE_UPSTREAM_DIR: '/nonexistent/upstream' }, encoding: 'utf8' });
    assert.strictEqual(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
    assert.strictEqual(out.available, false);
    assert.match(out.reason, /not found at \/nonexistent\/upstream/);
    assertError(out.agent, 'apiVersion: no schema for kagent.dev/v1alpha2 Agent; add it (or: upstream CRD schemas not found');
    assert.deepStrictEqual(out.deployment, []);
    assertError(out.bad, 'spec.replica: unknown field');
  });
});
