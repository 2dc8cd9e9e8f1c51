// Conformance validator: checks the plain objects the Pulumi program hands to the Kubernetes provider
// ({apiVersion, kind, metadata, spec, ...}) against upstream schemas. See README.md.
//
//   import { validateManifests, upstreamSchemasAvailable, skipReason } from '../conformance';
//   if (!upstreamSchemasAvailable()) this.skip();   // mocha: say why with skipReason
//   assert.deepStrictEqual(validateManifests(objects), []);
import { builtinKinds, findBuiltin, validateBuiltins, BuiltinKind } from './builtinSchemas';
import { checkCel } from './celRules';
import { crdKinds, findCrd, Issue, servedVersions, skipReason, upstreamSchemasAvailable, validateCustom } from './crdSchemas';
import { checkMetadata } from './metadata';
import { SECRET_SIG } from '../harness/program';

export { skipReason, upstreamSchemasAvailable };

export interface KnownKind { apiVersion: string; kind: string; namespaced: boolean; source: 'builtin' | 'crd' }

/** Versions this project pins per group (FACTS.md), when that version is served for the kind. */
const PINNED: Record<string, string> = { 'kagent.dev': 'v1alpha2', 'external-secrets.io': 'v1' };

// Pulumi mocks hand secret inputs over wrapped; validate the value inside.
function unwrapSecrets(v: any): any {
  if (Array.isArray(v)) return v.map(unwrapSecrets);
  if (!v || typeof v !== 'object') return v;
  if (SECRET_SIG in v && 'value' in v) return unwrapSecrets(v.value);
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, unwrapSecrets(x)]));
}

function label(o: any): string {
  const name = o?.metadata?.name ?? o?.metadata?.generateName ?? '<unnamed>';
  const ns = o?.metadata?.namespace ? `${o.metadata.namespace}/` : '';
  return `${o?.kind ?? '<no kind>'} ${ns}${name} (${o?.apiVersion ?? '<no apiVersion>'})`;
}

type Plan = { obj: any; issues: Issue[]; builtin?: BuiltinKind };

function plan(raw: unknown): Plan {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) {
    return { obj: raw, issues: [{ path: '(root)', message: 'not a Kubernetes object' }] };
  }
  const obj = unwrapSecrets(raw);
  const { apiVersion, kind } = obj;
  if (typeof apiVersion !== 'string' || typeof kind !== 'string') {
    return { obj, issues: [{ path: '(root)', message: 'apiVersion and kind must be strings' }] };
  }
  const builtin = findBuiltin(apiVersion, kind);
  if (builtin) {
    const issues = checkMetadata(obj.metadata, { kind, namespaced: builtin.namespaced, requireNamespace: false });
    return { obj, issues, builtin };
  }
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
  if (!upstreamSchemasAvailable()) {
    return { obj, issues: [{ path: 'apiVersion', message: `no schema for ${apiVersion} ${kind}; add it (or: ${skipReason})` }] };
  }
  const crd = findCrd(apiVersion, kind);
  if (!crd) {
    const served = servedVersions(group, kind);
    const message = served.length
      ? `${apiVersion} ${kind} is not served by the upstream CRD (served: ${served.map((v) => `${group}/${v}`).join(', ')})`
      : `no schema for ${apiVersion} ${kind}; add it (builtinSchemas.ts or the upstream CRDs)`;
    return { obj, issues: [{ path: 'apiVersion', message }] };
  }
  const issues: Issue[] = [];
  const pinned = PINNED[group];
  if (pinned && pinned !== version && servedVersions(group, kind).includes(pinned)) {
    issues.push({ path: 'apiVersion', message: `this project uses ${group}/${pinned} only (FACTS.md); ${version} has another shape` });
  }
  issues.push(...checkMetadata(obj.metadata, { kind, namespaced: crd.scope === 'Namespaced', requireNamespace: true }));
  issues.push(...validateCustom(crd, obj), ...checkCel(obj));
  return { obj, issues };
}

/** All problems found in these objects, as "Kind ns/name (apiVersion): path: message"; [] = valid. */
export function validateManifests(objects: unknown[]): string[] {
  const plans = objects.map(plan);
  const builtins = plans.filter((p) => p.builtin);
  validateBuiltins(builtins.map((p) => ({ kind: p.builtin!, object: p.obj })))
    .forEach((issues, i) => {
      const seen = new Set(builtins[i].issues.map((x) => x.path)); // metadata.ts may have said it already
      builtins[i].issues.push(...issues.filter((x) => !seen.has(x.path)));
    });
  return plans.flatMap((p) => p.issues.map((i) => `${label(p.obj)}: ${i.path}: ${i.message}`));
}

export function validateManifest(object: unknown): string[] {
  return validateManifests([object]);
}

/** Every apiVersion+kind this validator has a schema for (CRD kinds only when upstream is available). */
export function knownKinds(): KnownKind[] {
  const crds = upstreamSchemasAvailable() ? crdKinds() : [];
  return [
    ...builtinKinds().map((b) => ({ apiVersion: b.apiVersion, kind: b.kind, namespaced: b.namespaced, source: 'builtin' as const })),
    ...crds.map((c) => ({ apiVersion: `${c.group}/${c.version}`, kind: c.kind, namespaced: c.scope === 'Namespaced', source: 'crd' as const })),
  ];
}
