// Target: the manifest parser and validator, for every kind podrun accepts. Inputs are valid
// manifests of each kind mutated (a field set to any JSON value, removed, or added; written as
// YAML or JSON; then bytes of the text flipped, cut or repeated) and arbitrary text. Each goes
// through parseManifests and, object by object, the server's dry run of an apply (shape, rules,
// defaults) and of an update against itself. The only errors allowed are podrun's typed ones
// (PodrunError); any other (a TypeError, a stack overflow) or an input that takes over 2 s is a finding.
'use strict';

const path = require('node:path');
const dist = path.resolve(__dirname, '..', '..', '..', 'dist');
require(path.join(dist, 'api', 'kinds'));
const { parseManifests } = require(path.join(dist, 'api', 'manifest'));
const { dryRunApply } = require(path.join(dist, 'store', 'dry-run'));
const { PodrunError } = require(path.join(dist, 'errors'));
const { supportedKinds } = require(path.join(dist, 'api', 'validate'));
const { FuzzFinding } = require('../fuzz-lib');
const { mutate, textMutate } = require('../mutators');

const container = (name) => ({
  name,
  image: 'busybox:1.36',
  command: ['sh', '-c', 'sleep 1'],
  env: [{ name: 'A', value: 'b' }, { name: 'C', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }],
  ports: [{ containerPort: 80, protocol: 'TCP' }],
  resources: { limits: { memory: '64Mi', cpu: '500m' }, requests: { memory: '32Mi' } },
  volumeMounts: [{ name: 'data', mountPath: '/data' }],
  readinessProbe: { httpGet: { path: '/', port: 80 }, periodSeconds: 5 },
  securityContext: { runAsUser: 1000, capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' } },
});
const podSpec = () => ({
  initContainers: [{ name: 'init', image: 'busybox', command: ['true'] }],
  containers: [container('c')],
  volumes: [{ name: 'data', emptyDir: { sizeLimit: '1Gi' } }, { name: 'cm', configMap: { name: 'cfg', items: [{ key: 'k', path: 'p' }] } }],
  securityContext: { fsGroup: 2000, sysctls: [{ name: 'net.ipv4.tcp_syncookies', value: '1' }] },
  affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'a', operator: 'In', values: ['b'] }] }] } } },
  tolerations: [{ key: 'k', operator: 'Exists', effect: 'NoSchedule' }],
  restartPolicy: 'Always',
});
const template = (labels) => ({ metadata: { labels }, spec: podSpec() });
const labels = { app: 'web' };

/** One valid object of every kind podrun accepts. */
const SEEDS = [
  { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web', labels, annotations: { a: 'b' } }, spec: podSpec() },
  { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg' }, data: { k: 'v', 'x.json': '{"a": [1]}' }, binaryData: { b: 'AAEC' } },
  { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, type: 'Opaque', data: { p: 'cGFzcw==' }, stringData: { u: 'user' } },
  { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'rs' }, spec: { replicas: 2, selector: { matchLabels: labels }, template: template(labels) } },
  { apiVersion: 'v1', kind: 'ReplicationController', metadata: { name: 'rc' }, spec: { replicas: 1, selector: labels, template: template(labels) } },
  { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd' }, spec: { replicas: 3, selector: { matchLabels: labels, matchExpressions: [{ key: 'app', operator: 'Exists' }] }, strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: 1 } }, template: template(labels) } },
  { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'j' }, spec: { completions: 3, parallelism: 2, backoffLimit: 4, template: { spec: { ...podSpec(), restartPolicy: 'Never' } } } },
  { apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name: 'cj' }, spec: { schedule: '*/5 * * * *', concurrencyPolicy: 'Forbid', jobTemplate: { spec: { template: { spec: { ...podSpec(), restartPolicy: 'OnFailure' } } } } } },
  { apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name: 'local' }, provisioner: 'kubernetes.io/no-provisioner', volumeBindingMode: 'WaitForFirstConsumer' },
  { apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name: 'pv' }, spec: { capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'], hostPath: { path: '/tmp/pv' }, storageClassName: 'local' } },
  { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'pvc' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, storageClassName: 'local' } },
  { apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 'ss' }, spec: { serviceName: 'ss', replicas: 2, selector: { matchLabels: labels }, template: template(labels), volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }] } },
  { apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name: 'ds' }, spec: { selector: { matchLabels: labels }, template: template(labels) } },
  { apiVersion: 'v1', kind: 'PodTemplate', metadata: { name: 'pt' }, template: template(labels) },
  { apiVersion: 'settings.k8s.io/v1alpha1', kind: 'PodPreset', metadata: { name: 'pp' }, spec: { selector: { matchLabels: labels }, env: [{ name: 'X', value: 'y' }] } },
];

let yaml;
function toText(obj, format) {
  if (format === 'json') return JSON.stringify(obj, null, obj ? 2 : 0);
  yaml ??= require(require.resolve('yaml', { paths: [dist] }));
  return yaml.stringify(obj, { aliasDuplicateObjects: false });
}

const SPECIAL = ['', '-', '---', '[', '{', ':', '*a', '&a', '!!binary', '!!str', '0x1F', '1e400', '-0', 'NaN', '.inf', '~', 'null', 'yes', '0644', '1:20', '2001-12-14', '<<', '\\u0000', '%YAML 1.1', '"\\x"', "'", '|', '>-', '? a', '- - -'];

module.exports = {
  name: 'manifest',
  SEEDS,
  async setup() {
    // Every kind validation accepts must have its seed here: a new kind without one is a gap.
    const missing = supportedKinds().filter((k) => !SEEDS.some((s) => s.kind === k));
    if (missing.length) throw new Error(`no fuzz seed for kind(s) ${missing.join(', ')}`);
    return {};
  },
  input(fc) {
    const value = fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.constantFrom(...SPECIAL), fc.integer(), fc.string(), fc.constant(null));
    const edit = fc.record({ op: fc.constantFrom('set', 'delete', 'add'), at: fc.nat(), key: fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('kind', 'apiVersion', 'metadata', 'spec', 'items', 'name', 'namespace', 'status')), value });
    const cut = fc.record({ op: fc.constantFrom('flip', 'cut', 'dup', 'end'), at: fc.nat(), ch: fc.integer({ min: 0, max: 0x7f }) });
    const mutated = fc
      .record({ seed: fc.nat(SEEDS.length - 1), edits: fc.array(edit, { maxLength: 4 }), format: fc.constantFrom('yaml', 'json'), cuts: fc.array(cut, { maxLength: 3 }), list: fc.boolean(), count: fc.integer({ min: 1, max: 3 }) })
      .map(({ seed, edits, format, cuts, list, count }) => {
        const objs = Array.from({ length: count }, (_, i) => mutate(SEEDS[(seed + i) % SEEDS.length], i === 0 ? edits : []));
        const text = list ? toText({ apiVersion: 'v1', kind: 'List', items: objs }, format) : format === 'json' ? toText(objs[0], 'json') : objs.map((o) => toText(o, 'yaml')).join('---\n');
        return textMutate(text, cuts);
      });
    const arbitrary = fc.oneof(
      fc.string({ maxLength: 200 }),
      fc.string({ unit: fc.constantFrom('[', ']', '{', '}', ':', '-', ' ', '\n', '"', "'", '#', '&', '*', '!', '|', '>', 'a', '1', ',', '?', '\t') , maxLength: 300 }),
      fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)),
      fc.record({ apiVersion: fc.constantFrom('v1', 'apps/v1', 'batch/v1', 'storage.k8s.io/v1', 'settings.k8s.io/v1alpha1', 'x'), kind: fc.constantFrom(...SEEDS.map((s) => s.kind), 'List', 'Foo'), metadata: fc.jsonValue({ maxDepth: 2 }), spec: fc.jsonValue({ maxDepth: 3 }) }).map((o) => toText(o, 'yaml')),
    );
    return fc.oneof({ arbitrary: mutated, weight: 4 }, { arbitrary, weight: 1 });
  },
  run(text) {
    const t0 = Date.now();
    try {
      for (const obj of parseManifests(text, 'fuzz.yaml')) {
        let created;
        try {
          created = dryRunApply(obj, undefined, '2026-01-01T00:00:00Z').object;
        } catch (e) {
          if (!(e instanceof PodrunError)) throw e;
          continue;
        }
        // An update: the same object again, and with its spec replaced by the original's.
        dryRunApply(obj, created, '2026-01-01T00:00:01Z');
      }
    } catch (e) {
      if (!(e instanceof PodrunError)) throw new FuzzFinding(`untyped error: ${e && e.stack ? e.stack : e}`);
    }
    const ms = Date.now() - t0;
    if (ms > 2000) throw new FuzzFinding(`took ${ms} ms`);
  },
};
