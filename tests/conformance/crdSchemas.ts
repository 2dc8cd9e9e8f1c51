// Validates custom resources against the upstream CRDs in ../shared/upstream (read at run time, never
// copied). Only versions with `served: true` are indexed. Each openAPIV3Schema is made strict before it is
// compiled with Ajv: an object schema without `additionalProperties` and without
// `x-kubernetes-preserve-unknown-fields` gets `additionalProperties: false`, because the API server would
// silently prune such fields (for us: a typo). Compiled lazily, one validator per apiVersion+kind, cached.
import * as fs from 'fs';
import * as path from 'path';
import Ajv, { ErrorObject, ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import * as yaml from 'js-yaml';

export interface Issue { path: string; message: string }

export const repoRoot = path.resolve(__dirname, '..', '..');
export const upstreamDir = process.env.CONFORMANCE_UPSTREAM_DIR ?? path.resolve(repoRoot, '..', 'shared', 'upstream');

export interface CrdVersion {
  group: string; version: string; kind: string; scope: 'Namespaced' | 'Cluster';
  file: string; schema: any; validate?: ValidateFunction;
}

let index: Map<string, CrdVersion> | undefined;
let servedElsewhere: Map<string, string[]> | undefined; // "group/kind" -> served versions

const key = (apiVersion: string, kind: string) => `${apiVersion}/${kind}`;

export function upstreamSchemasAvailable(): boolean {
  return fs.existsSync(upstreamDir) && crdFiles().length > 0;
}

export const skipReason =
  `upstream CRD schemas not found at ${upstreamDir} (expected the shared/upstream checkout next to the ` +
  `repository, or CONFORMANCE_UPSTREAM_DIR); custom resources cannot be validated here`;

function crdFiles(): string[] {
  if (!fs.existsSync(upstreamDir)) return [];
  return fs.readdirSync(upstreamDir, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .flatMap((d) => fs.readdirSync(path.join(upstreamDir, d.name))
      .filter((f) => /\.ya?ml$/.test(f))
      .map((f) => path.join(upstreamDir, d.name, f)));
}

function load(): Map<string, CrdVersion> {
  if (index) return index;
  index = new Map();
  servedElsewhere = new Map();
  for (const file of crdFiles()) {
    for (const doc of yaml.loadAll(fs.readFileSync(file, 'utf8')) as any[]) {
      if (doc?.kind !== 'CustomResourceDefinition') continue;
      const { group, names, scope, versions } = doc.spec;
      for (const v of versions ?? []) {
        if (!v.served) continue;
        index.set(key(`${group}/${v.name}`, names.kind),
          { group, version: v.name, kind: names.kind, scope, file, schema: v.schema?.openAPIV3Schema ?? {} });
        const gk = `${group}/${names.kind}`;
        servedElsewhere.set(gk, [...(servedElsewhere.get(gk) ?? []), v.name]);
      }
    }
  }
  return index;
}

export function crdKinds(): CrdVersion[] {
  return [...load().values()];
}

export function findCrd(apiVersion: string, kind: string): CrdVersion | undefined {
  return load().get(key(apiVersion, kind));
}

/** Served versions of group+kind, to explain "version not served" errors. */
export function servedVersions(group: string, kind: string): string[] {
  load();
  return servedElsewhere!.get(`${group}/${kind}`) ?? [];
}

// ---- schema strictification -------------------------------------------------------------------------

const PRESERVE = 'x-kubernetes-preserve-unknown-fields';

/** Copy of a structural schema with unknown fields made errors. Descends only through properties, items
 * and additionalProperties (not allOf/anyOf/oneOf/not, which in structural schemas only add value checks). */
export function strictify(s: any): any {
  if (!s || typeof s !== 'object') return s;
  const out: any = { ...s };
  if (s['x-kubernetes-int-or-string']) {
    out.type = ['integer', 'string'];
    delete out.anyOf; // upstream spells it anyOf [{type: integer}, {type: string}]: one error is enough
  }
  if (s.properties) {
    out.properties = Object.fromEntries(Object.entries(s.properties).map(([k, v]) => [k, strictify(v)]));
  }
  if (s['x-kubernetes-embedded-resource']) {
    out.properties = { apiVersion: { type: 'string' }, kind: { type: 'string' }, metadata: { type: 'object' }, ...out.properties };
  }
  if (s.items) out.items = strictify(s.items);
  if (s.additionalProperties && typeof s.additionalProperties === 'object') out.additionalProperties = strictify(s.additionalProperties);
  const isObject = s.type === 'object' || (!s.type && s.properties);
  if (isObject && s.additionalProperties === undefined && !s[PRESERVE]) out.additionalProperties = false;
  return out;
}

let ajv: Ajv | undefined;
function getAjv(): Ajv {
  if (ajv) return ajv;
  ajv = new Ajv({ strict: false, allErrors: true, allowUnionTypes: true, unicodeRegExp: false });
  addFormats(ajv, ['date-time', 'uri']);
  ajv.addFormat('int32', { type: 'number', validate: (n: number) => Number.isInteger(n) && n >= -(2 ** 31) && n < 2 ** 31 });
  ajv.addFormat('int64', { type: 'number', validate: (n: number) => Number.isInteger(n) });
  ajv.addFormat('byte', (s: string) => s.length % 4 === 0 && /^[A-Za-z0-9+/]*={0,2}$/.test(s));
  // Vendor keywords: declared so Ajv knows them; their semantics are applied by strictify() (int-or-string,
  // preserve-unknown-fields, embedded-resource) or not checked (list-type/map-keys/map-type, CEL validations).
  for (const k of ['int-or-string', 'preserve-unknown-fields', 'embedded-resource', 'list-type', 'list-map-keys',
    'map-type', 'validations']) ajv.addKeyword(`x-kubernetes-${k}`);
  return ajv;
}

function compile(crd: CrdVersion): ValidateFunction {
  if (!crd.validate) {
    const root = strictify(crd.schema);
    // metadata is checked by metadata.ts (the API server handles it apart from the CRD schema)
    root.properties = { ...root.properties, metadata: true };
    crd.validate = getAjv().compile(root);
  }
  return crd.validate;
}

/** Appends a key to a readable path: spec.tools[0].name, metadata.labels["app.kubernetes.io/name"]. */
export function child(path: string, key: string | number): string {
  if (typeof key === 'number' || /^\d+$/.test(key)) return `${path}[${key}]`;
  if (!/^[A-Za-z_$][\w$-]*$/.test(key)) return `${path}[${JSON.stringify(key)}]`;
  return path ? `${path}.${key}` : key;
}

/** JSON pointer "/spec/tools/0/name" -> "spec.tools[0].name" */
export function dotted(pointer: string): string {
  return pointer.split('/').slice(1).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~')).reduce(child, '') || '(root)';
}

function describe(e: ErrorObject): Issue {
  const p = e.params as any;
  switch (e.keyword) {
    case 'additionalProperties':
      return { path: dotted(`${e.instancePath}/${p.additionalProperty}`),
        message: 'unknown field (not in the upstream schema; the API server would prune it)' };
    case 'required':
      return { path: dotted(`${e.instancePath}/${p.missingProperty}`), message: 'required field is missing' };
    case 'type':
      return { path: dotted(e.instancePath), message: `must be ${[p.type].flat().join(' or ')}` };
    case 'enum':
      return { path: dotted(e.instancePath), message: `must be one of ${JSON.stringify(p.allowedValues)}` };
    default:
      return { path: dotted(e.instancePath), message: e.message ?? e.keyword };
  }
}

/** Schema errors of a custom resource (metadata excluded). */
export function validateCustom(crd: CrdVersion, obj: unknown): Issue[] {
  const validate = compile(crd);
  return validate(obj) ? [] : (validate.errors ?? []).map(describe);
}
