// Light ObjectMeta checks shared by custom and built-in kinds: name syntax, namespace vs scope, label and
// annotation syntax, unknown metadata fields.
import { child, Issue } from './crdSchemas';

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;

// Fields a client may set (server-populated ones like uid/resourceVersion are not ours to write).
const META_FIELDS = new Set(['name', 'generateName', 'namespace', 'labels', 'annotations', 'finalizers', 'ownerReferences']);

/** Names that must be a DNS-1123/1035 label rather than a subdomain. */
const NAME_RULES: Record<string, [RegExp, number, string]> = {
  Namespace: [DNS1123_LABEL, 63, 'a DNS-1123 label'],
  Service: [DNS1035_LABEL, 63, 'a DNS-1035 label (starts with a letter)'],
};

export interface MetaOptions { kind: string; namespaced: boolean; requireNamespace: boolean }

export function checkMetadata(meta: any, o: MetaOptions): Issue[] {
  const issues: Issue[] = [];
  const bad = (p: string, message: string) =>
    issues.push({ path: !p ? 'metadata' : p.startsWith('[') ? `metadata${p}` : `metadata.${p}`, message });
  if (!meta || typeof meta !== 'object' || Array.isArray(meta)) {
    bad('', 'metadata must be an object with a name');
    return issues;
  }
  for (const k of Object.keys(meta)) if (!META_FIELDS.has(k)) bad(child('', k), 'unknown or server-owned metadata field');

  const [re, max, what] = NAME_RULES[o.kind] ?? [DNS1123_SUBDOMAIN, 253, 'a DNS-1123 subdomain'];
  if (meta.name === undefined) {
    if (meta.generateName === undefined) bad('name', 'required field is missing (no generateName either)');
  } else if (typeof meta.name !== 'string' || meta.name.length > max || !re.test(meta.name)) {
    bad('name', `${JSON.stringify(meta.name)} is not ${what} (max ${max} chars)`);
  }

  if (o.namespaced) {
    if (meta.namespace !== undefined && (typeof meta.namespace !== 'string' || !DNS1123_LABEL.test(meta.namespace))) {
      bad('namespace', `${JSON.stringify(meta.namespace)} is not a DNS-1123 label`);
    } else if (o.requireNamespace && !meta.namespace) {
      bad('namespace', `required: ${o.kind} is namespaced (set it explicitly; Pulumi/YAML rendering would not)`);
    }
  } else if (meta.namespace !== undefined) {
    bad('namespace', `${o.kind} is cluster-scoped: remove metadata.namespace`);
  }

  for (const field of ['labels', 'annotations'] as const) {
    const m = meta[field];
    if (m === undefined) continue;
    if (!m || typeof m !== 'object' || Array.isArray(m)) { bad(field, 'must be a map of string to string'); continue; }
    for (const [k, v] of Object.entries(m)) {
      const p = child(field, k);
      const slash = k.lastIndexOf('/');
      const [prefix, name] = slash < 0 ? ['', k] : [k.slice(0, slash), k.slice(slash + 1)];
      if (name.length > 63 || !LABEL_NAME.test(name) || (slash >= 0 && (prefix.length > 253 || !DNS1123_SUBDOMAIN.test(prefix)))) {
        bad(p, 'key is not a qualified name ([prefix/]name, name <= 63 chars)');
      }
      if (typeof v !== 'string') bad(p, `value must be a string, got ${typeof v}`);
      else if (field === 'labels' && v !== '' && (v.length > 63 || !LABEL_NAME.test(v))) {
        bad(p, `label value ${JSON.stringify(v)} is invalid (<= 63 chars, alphanumeric, '-', '_', '.')`);
      }
    }
  }
  return issues;
}
