// The pure pieces of the daily verbs: the LABELS cell, the ConfigMap and Secret columns,
// where --since starts, and a server-side dry run of apply.
import t from 'tap';
import '../../src/api/kinds';
import type { KubeObject } from '../../src/api/manifest';
import { labelsCell } from '../../src/cli/labels-column';
import { objectTable } from '../../src/cli/format-objects';
import { logsSince } from '../../src/runtime/log-since';
import { dryRunApply } from '../../src/store/dry-run';
import { kindInfo } from '../../src/store/kinds';

const NOW = Date.parse('2026-01-02T03:04:05Z');

t.test('LABELS: sorted k=v, <none> when empty', async (t) => {
  t.equal(labelsCell({ tier: 'fe', app: 'web', 'a.b/c': '' }), 'a.b/c=,app=web,tier=fe');
  t.equal(labelsCell({}), '<none>');
  t.equal(labelsCell(undefined), '<none>');
});

t.test("configmap and secret tables in kubectl's columns", async (t) => {
  const meta = (name: string) => ({ name, namespace: 'default', creationTimestamp: '2026-01-02T03:03:05Z', labels: { b: '2', a: '1' } });
  const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: meta('cfg'), data: { x: '1', y: '2' }, binaryData: { z: 'aGk=' } } as KubeObject;
  const opts = { wide: false, withNamespace: false, withKind: false, now: NOW };
  t.equal(objectTable([cm], kindInfo('ConfigMap')!, opts), 'NAME   DATA   AGE\ncfg    3      60s\n');
  t.equal(objectTable([cm], kindInfo('ConfigMap')!, { ...opts, showLabels: true, withNamespace: true }), 'NAMESPACE   NAME   DATA   AGE   LABELS\ndefault     cfg    3      60s   a=1,b=2\n');
  const opaque = { apiVersion: 'v1', kind: 'Secret', metadata: meta('s'), data: { k: 'dg==' }, stringData: { k: 'v', j: 'w' } } as KubeObject;
  const tls = { apiVersion: 'v1', kind: 'Secret', metadata: meta('tls'), type: 'kubernetes.io/tls', data: {} } as KubeObject;
  t.equal(objectTable([opaque, tls], kindInfo('Secret')!, opts), 'NAME   TYPE                DATA   AGE\ns      Opaque              2      60s\ntls    kubernetes.io/tls   0      60s\n', 'a key in data and stringData counts once');
});

t.test('--since and --since-time', async (t) => {
  t.equal(logsSince({}, NOW), undefined);
  t.equal(logsSince({ sinceSeconds: 60 }, NOW), NOW - 60_000);
  t.equal(logsSince({ sinceTime: '2026-01-02T03:00:00Z' }, NOW), Date.parse('2026-01-02T03:00:00Z'));
  t.equal(logsSince({ sinceTime: '2026-01-02T04:00:00+01:00' }, NOW), Date.parse('2026-01-02T03:00:00Z'), 'an offset');
  t.throws(() => logsSince({ sinceSeconds: 1, sinceTime: '2026-01-02T03:00:00Z' }), { message: 'at most one of `sinceTime` or `sinceSeconds` may be specified' });
  t.throws(() => logsSince({ sinceSeconds: 0 }), { message: /sinceSeconds: Invalid value: 0: must be greater than 0/ });
  t.throws(() => logsSince({ sinceTime: 'yesterday' }), { message: /must be an RFC 3339 time/ });
});

t.test('a server-side dry run of apply', async (t) => {
  const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg' }, data: { a: '1' } } as KubeObject;
  const made = dryRunApply(cm, undefined, '2026-01-02T03:04:05Z');
  t.equal(made.action, 'created');
  t.equal(made.object.metadata?.namespace, 'default', 'the namespace filled in');
  t.equal(made.object.metadata?.creationTimestamp, '2026-01-02T03:04:05Z');
  t.ok(made.object.metadata?.uid);
  t.equal(made.object.metadata?.resourceVersion, undefined, 'nothing was written');
  const stored = { ...made.object, metadata: { ...made.object.metadata, resourceVersion: '7' } };
  t.equal(dryRunApply(cm, stored, 'x').action, 'unchanged');
  const relabelled = { ...cm, metadata: { ...cm.metadata, labels: { a: 'b' } } } as KubeObject;
  const changed = dryRunApply(relabelled, stored, 'x');
  t.equal(changed.action, 'configured');
  t.equal(changed.object.metadata?.uid, stored.metadata?.uid, 'the stored identity kept');
  t.equal(changed.object.metadata?.resourceVersion, '7');
  t.throws(() => dryRunApply({ ...cm, data: { 'bad key': 'x' } } as KubeObject, undefined, 'x'), { message: /^ConfigMap "cfg" is invalid: data\[bad key\]/ }, 'validated as on apply');

  const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image: 'busybox:1' }] } } as KubeObject;
  const p = dryRunApply(pod, undefined, 'x').object as unknown as { spec: { restartPolicy: string; containers: { imagePullPolicy: string }[] } };
  t.equal(p.spec.restartPolicy, 'Always', "the pod's defaults");
  t.equal(p.spec.containers[0]!.imagePullPolicy, 'IfNotPresent', 'a tag: pulled if not present');
  const storedPod = dryRunApply(pod, undefined, 'x').object;
  t.equal(dryRunApply(pod, storedPod, 'x').action, 'unchanged');
  const newImage = { ...pod, spec: { containers: [{ name: 'c', image: 'busybox:2' }] } } as KubeObject;
  t.equal(dryRunApply(newImage, storedPod, 'x').action, 'configured', 'an image may change');
  const newCommand = { ...pod, spec: { containers: [{ name: 'c', image: 'busybox:1', command: ['x'] }] } } as KubeObject;
  t.throws(() => dryRunApply(newCommand, storedPod, 'x'), { message: /Forbidden: pod updates may not change fields/ }, 'the server refuses other pod changes');
  t.throws(() => dryRunApply({ ...pod, apiVersion: 'v2' } as KubeObject, undefined, 'x'), { message: /no matches for kind "Pod" in version "v2"/ });
});
