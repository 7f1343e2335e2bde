// A StatefulSet against a real engine (OrderedReady, the built-in local-path class): pods -0,
// -1, -2 start in order and are removed in reverse; each has its own claim, and a file written
// by -1 into its claim is there after the pod is deleted and made again, and after scaling
// 3 -> 1 -> 3; hostnames and the subdomain are the stable ones.
import t from 'tap';
import type { StatefulSet } from 'kubernetes-types/apps/v1';
import type { PersistentVolumeClaim, Pod } from 'kubernetes-types/core/v1';
import type { KubeObject } from '../../src/api/manifest';
import { coveredBySubidRun, execOut, IMAGE, missingBusybox, missingFeature, setup } from './harness';
import { podsUntil } from './watch-pods';

const missing = missingFeature() ?? missingBusybox() ?? coveredBySubidRun();
if (missing) {
  t.comment(`skip: ${missing}`);
  t.plan(0, missing);
  process.exit(0);
}

const sts: StatefulSet & KubeObject = {
  apiVersion: 'apps/v1',
  kind: 'StatefulSet',
  metadata: { name: 'db' },
  spec: {
    serviceName: 'dbs',
    replicas: 3,
    selector: { matchLabels: { app: 'db' } },
    template: {
      metadata: { labels: { app: 'db' } },
      spec: { terminationGracePeriodSeconds: 1, containers: [{ name: 'db', image: IMAGE, command: ['/payload', 'sleep', '3600'], volumeMounts: [{ name: 'data', mountPath: '/data' }] }] },
    },
    volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }],
  },
};

const ready = (p: Pod) => p.status?.phase === 'Running' && (p.status.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True') && !p.metadata?.deletionTimestamp;
const names = (pods: Pod[]) => pods.filter(ready).map((p) => p.metadata!.name!).sort();
const startedAt = (p: Pod) => Date.parse(p.status?.containerStatuses?.[0]?.state?.running?.startedAt ?? '');

t.test('ordered start, stable names and claims, data kept across deletion and scaling, reverse removal', async (t) => {
  const env = await setup(t);
  const { podrun } = env;
  // The order pods appear in, and the order they go in.
  const created: string[] = [];
  const gone: string[] = [];
  const sample = (pods: Pod[]) => {
    for (const p of pods) if (!created.includes(p.metadata!.name!)) created.push(p.metadata!.name!);
  };
  await podrun.apply(sts);
  let pods = await podsUntil(podrun, (ps) => names(ps).length === 3, '3 ready pods', { sample, timeoutMs: 60_000 });
  t.same(names(pods), ['db-0', 'db-1', 'db-2']);
  t.same(created, ['db-0', 'db-1', 'db-2'], 'made in order');
  const [s0, s1, s2] = ['db-0', 'db-1', 'db-2'].map((n) => startedAt(pods.find((p) => p.metadata?.name === n)!));
  t.ok(s0! <= s1! && s1! <= s2!, `started in order (${s0}, ${s1}, ${s2})`);
  const claims = await podrun.list<PersistentVolumeClaim>('pvc');
  t.same(claims.map((c) => `${c.metadata?.name} ${c.status?.phase} ${c.spec?.storageClassName}`), ['data-db-0 Bound local-path', 'data-db-1 Bound local-path', 'data-db-2 Bound local-path']);

  t.equal((await execOut(podrun, 'db-1', ['/bin/hostname'])).stdout.trim(), 'db-1', 'hostname is the pod name');
  const hosts = (await execOut(podrun, 'db-1', ['/bin/cat', '/etc/hosts'])).stdout;
  t.match(hosts, /db-1\.dbs\.default\.svc\.cluster\.local\s+db-1/, '/etc/hosts has the subdomain name');
  t.equal((await execOut(podrun, 'db-1', ['/bin/sh', '-c', 'echo kept > /data/file'])).exitCode, 0);

  const oldUid = pods.find((p) => p.metadata?.name === 'db-1')!.metadata!.uid;
  await podrun.deletePod('db-1', { gracePeriodSeconds: 0 });
  pods = await podsUntil(podrun, (ps) => ps.some((p) => p.metadata?.name === 'db-1' && p.metadata.uid !== oldUid && ready(p)), 'db-1 again');
  t.equal((await execOut(podrun, 'db-1', ['/bin/cat', '/data/file'])).stdout, 'kept\n', 'the file survived the pod');

  await podrun.scale('sts', 'db', 1);
  pods = await podsUntil(podrun, (ps) => ps.length === 1, 'scaled to 1', {
    sample: (ps) => {
      for (const n of ['db-2', 'db-1']) if (!ps.some((p) => p.metadata?.name === n) && !gone.includes(n)) gone.push(n);
    },
  });
  t.same(gone, ['db-2', 'db-1'], 'removed highest ordinal first');
  t.equal((await podrun.list('pvc')).length, 3, 'claims are retained on scale-down');
  await podrun.scale('sts', 'db', 3);
  await podsUntil(podrun, (ps) => names(ps).length === 3, 'back to 3');
  t.equal((await execOut(podrun, 'db-1', ['/bin/cat', '/data/file'])).stdout, 'kept\n', 'the file survived 3 -> 1 -> 3');

  const status = (await podrun.get<StatefulSet>('sts', 'db')).status;
  t.match(status, { replicas: 3, readyReplicas: 3, updatedReplicas: 3 });
  t.equal(status?.currentRevision, status?.updateRevision);

  // rollout restart: every pod replaced, highest ordinal first; rollout status waits for it.
  const before = new Map(pods.map((p) => [p.metadata!.name!, p.metadata!.uid!]));
  await podrun.rollout.restart('db', { kind: 'StatefulSet' });
  // kubectl's words for a set whose rollingUpdate.partition the API server defaulted to 0.
  t.equal(await podrun.rollout.status('db', { kind: 'StatefulSet', timeoutMs: 90_000 }), 'partitioned roll out complete: 3 new pods have been updated...');
  pods = await podsUntil(podrun, (ps) => names(ps).length === 3, '3 ready pods after the restart');
  t.ok(pods.every((p) => before.get(p.metadata!.name!) !== p.metadata!.uid), 'every pod was replaced');
  // History from the set's ControllerRevisions; undo brings the template before the restart back.
  t.same((await podrun.rollout.history('db', { kind: 'StatefulSet' })).map((r) => r.revision), [1, 2], 'two revisions');
  t.equal(await podrun.rollout.undo('db', { kind: 'StatefulSet' }), 'rolled back');
  t.equal(await podrun.rollout.status('db', { kind: 'StatefulSet', timeoutMs: 90_000 }), 'partitioned roll out complete: 3 new pods have been updated...');
  const back = await podrun.get<StatefulSet>('sts', 'db');
  t.notOk(back.spec?.template.metadata?.annotations?.['kubectl.kubernetes.io/restartedAt'], 'the template before the restart');
  t.same((await podrun.rollout.history('db', { kind: 'StatefulSet' })).map((r) => r.revision), [2, 3], "revision 1's template is revision 3 now");

  await podrun.delete('sts', 'db');
  await podsUntil(podrun, (ps) => ps.length === 0, 'pods gone');
  t.equal((await podrun.list('pvc')).length, 3, 'claims stay after the set is gone (whenDeleted: Retain)');
  for (const c of ['data-db-0', 'data-db-1', 'data-db-2']) await podrun.delete('pvc', c);
  t.same(await podrun.list('pvc'), [], 'claims deleted');
  t.same(await podrun.list('pv'), [], 'and their volumes with them (reclaimPolicy Delete)');
});
