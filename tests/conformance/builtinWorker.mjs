// Worker thread for builtinSchemas.ts. kubernetes-models is ESM-only ("import" export condition), which the
// tsx/cjs hook used by mocha cannot require(); a plain-Node worker can import() it, and the caller blocks
// on a SharedArrayBuffer so its API stays synchronous.
//
// Checks per object: kubernetes-models' generated validator for the kind (types, required fields, enums,
// int32/int64/byte formats), plus a strictness pass it lacks: the object is wrapped in a Proxy that records
// which properties the validator reads. A generated validator reads every property its schema declares, and
// enumerates the keys of maps (labels, data, resources...). So in an object it read but did not enumerate, a
// key it never read is not in the schema: an unknown field. Objects it never looked into (free-form
// RawExtension-like values) are not judged.
import { workerData } from 'node:worker_threads';

const { port, flag } = workerData;
const validators = new Map();

function validatorFor(schema) {
  if (!validators.has(schema)) {
    validators.set(schema, import(`kubernetes-models/_schemas/${schema}`).then((m) => m.validate));
  }
  return validators.get(schema);
}

function instrument(root) {
  const seen = new Map(); // target -> { read: Set<string>, enumerated: boolean }
  const proxies = new WeakMap();
  const wrap = (v) => {
    if (v === null || typeof v !== 'object') return v;
    if (!proxies.has(v)) {
      const rec = { read: new Set(), enumerated: false };
      seen.set(v, rec);
      const note = (k) => typeof k === 'string' && rec.read.add(k);
      proxies.set(v, new Proxy(v, {
        get: (t, k) => (note(k), wrap(Reflect.get(t, k))),
        has: (t, k) => (note(k), Reflect.has(t, k)),
        getOwnPropertyDescriptor: (t, k) => (note(k), Reflect.getOwnPropertyDescriptor(t, k)),
        ownKeys: (t) => ((rec.enumerated = true), Reflect.ownKeys(t)),
      }));
    }
    return proxies.get(v);
  };
  return { proxy: wrap(root), seen };
}

function unknownFields(node, path, seen, out) {
  if (node === null || typeof node !== 'object') return;
  const rec = seen.get(node);
  if (!rec) return; // never reached by the validator (inside a free-form value)
  if (Array.isArray(node)) {
    node.forEach((item, i) => unknownFields(item, child(path, i), seen, out));
    return;
  }
  if (!rec.enumerated && rec.read.size === 0) return; // opaque to the schema
  for (const [k, v] of Object.entries(node)) {
    const p = child(path, k);
    if (!rec.enumerated && !rec.read.has(k)) out.push({ path: p, message: 'unknown field (not in the Kubernetes schema; the API server would drop it)' });
    else unknownFields(v, p, seen, out);
  }
}

// Same path spelling as crdSchemas.ts child()/dotted().
function child(path, key) {
  if (typeof key === 'number' || /^\d+$/.test(key)) return `${path}[${key}]`;
  if (!/^[A-Za-z_$][\w$-]*$/.test(key)) return `${path}[${JSON.stringify(key)}]`;
  return path ? `${path}.${key}` : key;
}

function dotted(pointer) {
  return pointer.split('/').slice(1).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~')).reduce(child, '') || '(root)';
}

function describe(e) {
  const p = e.params ?? {};
  switch (e.keyword) {
    case 'required': return { path: dotted(`${e.instancePath}/${p.missingProperty}`), message: 'required field is missing' };
    case 'type': return { path: dotted(e.instancePath), message: `must be ${p.type}` };
    case 'enum': return { path: dotted(e.instancePath), message: `must be one of ${JSON.stringify(p.allowedValues)}` };
    case 'format': return { path: dotted(e.instancePath), message: `must match format "${p.format}"` };
    default: return { path: dotted(e.instancePath), message: `${e.keyword} ${JSON.stringify(p)}` };
  }
}

async function validateOne({ schema, object }) {
  const validate = await validatorFor(schema);
  const { proxy, seen } = instrument(object);
  const issues = validate(proxy) ? [] : (validate.errors ?? []).map(describe);
  unknownFields(object, '', seen, issues);
  return issues;
}

port.on('message', async ({ items }) => {
  let reply;
  try {
    reply = { results: await Promise.all(items.map(validateOne)) };
  } catch (e) {
    reply = { error: String(e?.stack ?? e) };
  }
  port.postMessage(reply);
  Atomics.store(flag, 0, 1);
  Atomics.notify(flag, 0);
});
