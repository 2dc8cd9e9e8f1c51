// Built-in kinds, validated with kubernetes-models (Kubernetes 1.3x OpenAPI, generated validators) in a
// worker thread (see builtinWorker.mjs for why and for the unknown-field pass). Synchronous API.
import * as path from 'path';
import { MessageChannel, MessagePort, receiveMessageOnPort, Worker } from 'worker_threads';
import type { Issue } from './crdSchemas';

export interface BuiltinKind { apiVersion: string; kind: string; namespaced: boolean; schema: string }

// To add a kind: its generated schema is node_modules/kubernetes-models/_schemas/IoK8sApi<Group><Version><Kind>.js
const KINDS: [string, string, boolean, string][] = [
  ['v1', 'Namespace', false, 'IoK8sApiCoreV1Namespace'],
  ['v1', 'Service', true, 'IoK8sApiCoreV1Service'],
  ['v1', 'PersistentVolumeClaim', true, 'IoK8sApiCoreV1PersistentVolumeClaim'],
  ['v1', 'Secret', true, 'IoK8sApiCoreV1Secret'],
  ['v1', 'ServiceAccount', true, 'IoK8sApiCoreV1ServiceAccount'],
  ['v1', 'ConfigMap', true, 'IoK8sApiCoreV1ConfigMap'],
  ['v1', 'ResourceQuota', true, 'IoK8sApiCoreV1ResourceQuota'],
  ['v1', 'LimitRange', true, 'IoK8sApiCoreV1LimitRange'],
  ['v1', 'Pod', true, 'IoK8sApiCoreV1Pod'],
  ['apps/v1', 'Deployment', true, 'IoK8sApiAppsV1Deployment'],
  ['apps/v1', 'StatefulSet', true, 'IoK8sApiAppsV1StatefulSet'],
  ['batch/v1', 'Job', true, 'IoK8sApiBatchV1Job'],
  ['batch/v1', 'CronJob', true, 'IoK8sApiBatchV1CronJob'],
  ['networking.k8s.io/v1', 'NetworkPolicy', true, 'IoK8sApiNetworkingV1NetworkPolicy'],
  ['networking.k8s.io/v1', 'Ingress', true, 'IoK8sApiNetworkingV1Ingress'],
  ['policy/v1', 'PodDisruptionBudget', true, 'IoK8sApiPolicyV1PodDisruptionBudget'],
  ['rbac.authorization.k8s.io/v1', 'Role', true, 'IoK8sApiRbacV1Role'],
  ['rbac.authorization.k8s.io/v1', 'RoleBinding', true, 'IoK8sApiRbacV1RoleBinding'],
  ['rbac.authorization.k8s.io/v1', 'ClusterRole', false, 'IoK8sApiRbacV1ClusterRole'],
  ['rbac.authorization.k8s.io/v1', 'ClusterRoleBinding', false, 'IoK8sApiRbacV1ClusterRoleBinding'],
];
const BUILTINS = new Map(KINDS.map(([apiVersion, kind, namespaced, schema]) =>
  [`${apiVersion}/${kind}`, { apiVersion, kind, namespaced, schema }]));

export const builtinKinds = (): BuiltinKind[] => [...BUILTINS.values()];
export const findBuiltin = (apiVersion: string, kind: string) => BUILTINS.get(`${apiVersion}/${kind}`);

let worker: { port: MessagePort; flag: Int32Array } | undefined;

function start() {
  if (worker) return worker;
  const flag = new Int32Array(new SharedArrayBuffer(4));
  const { port1, port2 } = new MessageChannel();
  const w = new Worker(path.join(__dirname, 'builtinWorker.mjs'),
    { workerData: { port: port2, flag }, transferList: [port2], execArgv: [] });
  w.unref();
  port1.unref();
  return (worker = { port: port1, flag });
}

/** Schema issues (metadata included) for each object, in order. Blocks until the worker answers. */
export function validateBuiltins(items: { kind: BuiltinKind; object: unknown }[]): Issue[][] {
  if (items.length === 0) return [];
  const { port, flag } = start();
  Atomics.store(flag, 0, 0);
  // JSON round trip: plain data only (drops undefined like the provider does; no class instances to clone).
  port.postMessage({ items: items.map((i) => ({ schema: i.kind.schema, object: JSON.parse(JSON.stringify(i.object)) })) });
  if (Atomics.wait(flag, 0, 0, 60_000) === 'timed-out') throw new Error('kubernetes-models validator worker did not answer in 60 s');
  const reply = receiveMessageOnPort(port)?.message;
  if (!reply || reply.error) throw new Error(`kubernetes-models validator worker failed: ${reply?.error ?? 'no reply'}`);
  return reply.results;
}
