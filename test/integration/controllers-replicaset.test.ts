// ReplicaSet and ReplicationController against a real engine (defaults only): they keep exactly
// `replicas` pods with generated names and controller ownerReferences, replace a deleted pod,
// scale both ways, adopt a matching orphan and let go of a pod whose labels stop matching, and
// take their pods with them when deleted (or leave them, with propagationPolicy Orphan).
import t from 'tap';
import type { ReplicaSet } from 'kubernetes-types/apps/v1';
import type { Pod, ReplicationController } from 'kubernetes-types/core/v1';
import { coveredBySubidRun, IMAGE, missingBusybox, missingFeature, pod, setup } from './harness';
import { podsUntil } from './watch-pods';

const missing = missingFeature() ?? missingBusybox() ?? coveredBySubidRun();
if (missing) {
  t.comment(`skip: ${missing}`);
  t.plan(0, missing);
  process.exit(0);
}

const template = (app: string) => ({
  metadata: { labels: { app } },
  spec: { terminationGracePeriodSeconds: 1, containers: [{ name: 'main', image: IMAGE, command: ['/payload', 'sleep', '3600'] }] },
});

function replicaSet(name: string, replicas: number, app = name): ReplicaSet & { apiVersion: string; kind: string } {
  return { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name }, spec: { replicas, selector: { matchLabels: { app } }, template: template(app) } };
}

const running = (pods: Pod[], app: string) => pods.filter((p) => p.metadata?.labels?.app === app && p.status?.phase === 'Running' && !p.metadata?.deletionTimestamp);

t.test('a ReplicaSet keeps its replicas: generated names, owner references, a deleted pod replaced, scaled both ways, status', async (t) => {
  const env = await setup(t);
  const { podrun } = env;
  t.same((await podrun.apply(replicaSet('web', 3))).map((r) => `${r.kind}/${r.name} ${r.action}`), ['ReplicaSet/web created']);
  let pods = await podsUntil(podrun, (ps) => running(ps, 'web').length === 3, '3 running pods');
  const rs = await podrun.get<ReplicaSet>('rs', 'web');
  for (const p of running(pods, 'web')) {
    t.match(p.metadata?.name, /^web-[bcdfghjklmnpqrstvwxz2456789]{5}$/, `generated name ${p.metadata?.name}`);
    t.same(p.metadata?.ownerReferences, [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web', uid: rs.metadata!.uid, controller: true, blockOwnerDeletion: true }]);
  }
  const victim = running(pods, 'web')[0]!.metadata!.name!;
  await podrun.deletePod(victim, { gracePeriodSeconds: 0 });
  pods = await podsUntil(podrun, (ps) => running(ps, 'web').length === 3 && !ps.some((p) => p.metadata?.name === victim), 'a replacement');
  t.notOk(pods.some((p) => p.metadata?.name === victim), 'the deleted pod is gone, another took its place');

  await podrun.scale('replicasets', 'web', 1);
  await podsUntil(podrun, (ps) => ps.filter((p) => p.metadata?.labels?.app === 'web').length === 1, 'scale down to 1');
  await podrun.scale('rs', 'web', 2);
  await podsUntil(podrun, (ps) => running(ps, 'web').length === 2, 'scale up to 2');
  const status = (await podrun.get<ReplicaSet>('ReplicaSet', 'web')).status;
  t.match(status, { replicas: 2, fullyLabeledReplicas: 2, observedGeneration: 3 }, `status ${JSON.stringify(status)}`);

  await podrun.delete('rs', 'web');
  await podsUntil(podrun, (ps) => ps.length === 0, 'its pods gone with it');
  t.pass('deleting the ReplicaSet took its pods');
});

t.test('adoption, release and orphaning', async (t) => {
  const env = await setup(t);
  const { podrun } = env;
  // An orphan with the labels is adopted: the ReplicaSet makes only what is missing.
  await podrun.createPod(pod('stray', template('db').spec, { metadata: { name: 'stray', labels: { app: 'db' } } }));
  await podrun.apply(replicaSet('db', 2));
  let pods = await podsUntil(podrun, (ps) => running(ps, 'db').length === 2, '2 pods');
  const rs = await podrun.get<ReplicaSet>('rs', 'db');
  t.equal(pods.find((p) => p.metadata?.name === 'stray')?.metadata?.ownerReferences?.[0]?.uid, rs.metadata!.uid, 'the orphan was adopted');

  // Labels changed: released, and replaced.
  await podrun.apply({ ...pod('stray', template('db').spec), metadata: { name: 'stray', labels: { app: 'other' } } } as never);
  pods = await podsUntil(podrun, (ps) => running(ps, 'db').length === 2 && ps.some((p) => p.metadata?.name === 'stray' && !p.metadata.ownerReferences?.length), 'release');
  t.equal(pods.filter((p) => p.metadata?.labels?.app === 'db').length, 2, 'a replacement for the released pod');

  await podrun.delete('rs', 'db', { propagationPolicy: 'Orphan' });
  await t.rejects(podrun.get('rs', 'db'), { code: 'NotFound' }, 'the ReplicaSet is gone');
  const left = (await podrun.listPods()).filter((p) => p.metadata?.labels?.app === 'db');
  t.equal(left.length, 2, 'its pods stay');
  t.ok(left.every((p) => !p.metadata?.ownerReferences?.length), 'without an owner');
});

t.test('a ReplicationController (selector defaulted from the template) keeps its replicas', async (t) => {
  const env = await setup(t);
  const { podrun } = env;
  const rc: ReplicationController & { apiVersion: string; kind: string } = { apiVersion: 'v1', kind: 'ReplicationController', metadata: { name: 'nginx' }, spec: { replicas: 2, template: template('nginx') } };
  await podrun.apply(rc);
  await podsUntil(podrun, (ps) => running(ps, 'nginx').length === 2, '2 pods');
  const got = await podrun.get<ReplicationController>('rc', 'nginx');
  t.same(got.spec?.selector, { app: 'nginx' }, 'selector from the template labels');
  t.same(got.metadata?.labels, { app: 'nginx' });
  await podrun.delete('replicationcontrollers', 'nginx', { propagationPolicy: 'Foreground' });
  await podsUntil(podrun, (ps) => ps.length === 0, 'pods gone');
  await t.rejects(podrun.get('rc', 'nginx'), { code: 'NotFound' }, 'gone once its pods are (foreground)');
});
