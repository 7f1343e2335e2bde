// Deployments against a real engine, with the defaults a user gets: 3 replicas become
// Available; a roll-out stays within replicas + maxSurge pods and replicas - maxUnavailable
// available ones at every change the watch shows; rollout undo returns to the previous
// template; a template that never becomes Ready ends ProgressDeadlineExceeded while the old
// pods keep serving; deleting the Deployment takes its ReplicaSets and pods.
import t from 'tap';
import type { Deployment, ReplicaSet } from 'kubernetes-types/apps/v1';
import type { Pod } from 'kubernetes-types/core/v1';
import type { KubeObject } from '../../src/api/manifest';
import type { Podrun } from '../../src/podrun';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { podDirId } from '../../src/kubelet/engine';
import { coveredBySubidRun, IMAGE, missingBusybox, missingFeature, setup } from './harness';
import { podsUntil } from './watch-pods';

const missing = missingFeature() ?? missingBusybox() ?? coveredBySubidRun();
if (missing) {
  t.comment(`skip: ${missing}`);
  t.plan(0, missing);
  process.exit(0);
}

type D = Deployment & KubeObject;

function deployment(name: string, replicas: number, env = 'v1', extra: Partial<NonNullable<Deployment['spec']>> = {}): D {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { terminationGracePeriodSeconds: 1, containers: [{ name: 'main', image: IMAGE, command: ['/payload', 'sleep', '3600'], env: [{ name: 'VERSION', value: env }] }] },
      },
      ...extra,
    },
  };
}

const isReady = (p: Pod) => (p.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
const mine = (pods: Pod[], app: string) => pods.filter((p) => p.metadata?.labels?.app === app);
const versionOf = (p: Pod) => p.spec?.containers[0]?.env?.[0]?.value;

async function deploymentUntil(podrun: Podrun, name: string, test: (d: D) => boolean, what: string, timeoutMs = 30_000): Promise<D> {
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), timeoutMs);
  let last: D | undefined;
  try {
    for await (const ev of podrun.watch<D>({ kinds: ['Deployment'], signal: ac.signal })) {
      if (ev.type === 'EVENT' || ev.object.metadata?.name !== name) continue;
      last = ev.object;
      if (test(last)) return last;
    }
  } finally {
    clearTimeout(timer);
  }
  throw new Error(`timed out waiting for ${what}: ${JSON.stringify(last?.status)}`);
}

const condition = (d: D, type: string) => (d.status?.conditions ?? []).find((c) => c.type === type);

t.test('3 replicas become Available; a roll-out keeps within maxSurge and maxUnavailable; undo returns', async (t) => {
  const env = await setup(t);
  const { podrun } = env;
  await podrun.apply(deployment('web', 3));
  const d = await deploymentUntil(podrun, 'web', (x) => condition(x, 'Available')?.status === 'True' && x.status?.availableReplicas === 3, 'Available');
  t.match(condition(d, 'Available'), { status: 'True', reason: 'MinimumReplicasAvailable' });
  t.match(condition(d, 'Progressing'), { status: 'True', reason: 'NewReplicaSetAvailable' });
  t.equal(d.metadata?.annotations?.['deployment.kubernetes.io/revision'], '1');
  const rs1 = (await podrun.list<ReplicaSet>('rs')).find((r) => r.metadata?.name?.startsWith('web-'));
  t.ok(rs1?.metadata?.labels?.['pod-template-hash'], 'its ReplicaSet has the pod-template-hash label');
  t.equal(rs1?.metadata?.name, `web-${rs1?.metadata?.labels?.['pod-template-hash']}`);

  // A pod's shim killed: the kubelet makes its sandbox again, the pod is Ready again, still 3.
  const before = mine(await podrun.listPods(), 'web');
  const victim = before[0]!;
  const sandbox = JSON.parse(fs.readFileSync(path.join(env.root, 'pods', podDirId(victim.metadata!.uid!), 'sandbox.json'), 'utf8')) as { pid: number };
  const startedBefore = victim.status?.containerStatuses?.[0]?.state?.running?.startedAt;
  process.kill(sandbox.pid, 'SIGKILL');
  const after = await podsUntil(
    podrun,
    (ps) => {
      const v = ps.find((p) => p.metadata?.uid === victim.metadata?.uid);
      return !!v && isReady(v) && v.status?.containerStatuses?.[0]?.state?.running?.startedAt !== startedBefore;
    },
    'the killed pod Ready again',
  );
  t.equal(mine(after, 'web').filter((p) => !p.metadata?.deletionTimestamp).length, 3, 'still exactly 3 pods after the shim was killed');

  // Defaults for 3 replicas: maxSurge 25% -> 1 (rounded up), maxUnavailable 25% -> 0 (rounded down).
  let most = 0;
  let fewest = Infinity;
  const sample = (pods: Pod[]) => {
    const live = mine(pods, 'web').filter((p) => !p.metadata?.deletionTimestamp);
    most = Math.max(most, live.length);
    fewest = Math.min(fewest, live.filter(isReady).length);
  };
  await podrun.apply(deployment('web', 3, 'v2'));
  await podsUntil(podrun, (ps) => mine(ps, 'web').length === 3 && mine(ps, 'web').every((p) => versionOf(p) === 'v2' && isReady(p)), 'the v2 roll-out', { sample });
  t.ok(most <= 4, `never more than replicas + maxSurge = 4 pods (most: ${most})`);
  t.ok(fewest >= 3, `never fewer than replicas - maxUnavailable = 3 ready (fewest: ${fewest})`);
  const d2 = await deploymentUntil(podrun, 'web', (x) => condition(x, 'Progressing')?.reason === 'NewReplicaSetAvailable' && x.status?.updatedReplicas === 3 && x.status?.replicas === 3, 'complete');
  t.equal(d2.metadata?.annotations?.['deployment.kubernetes.io/revision'], '2');
  t.same((await podrun.rollout.history('web')).map((r) => r.revision), [1, 2]);

  t.equal(await podrun.rollout.undo('web'), 'rolled back');
  await podsUntil(podrun, (ps) => mine(ps, 'web').length === 3 && mine(ps, 'web').every((p) => versionOf(p) === 'v1' && isReady(p)), 'back to v1');
  const d3 = await deploymentUntil(podrun, 'web', (x) => x.metadata?.annotations?.['deployment.kubernetes.io/revision'] === '3' && x.status?.updatedReplicas === 3, 'revision 3');
  t.equal(d3.spec?.template.spec?.containers[0]?.env?.[0]?.value, 'v1', 'the template of revision 1 again');
  t.same((await podrun.rollout.history('web')).map((r) => r.revision), [2, 3], "revision 1's ReplicaSet is revision 3 now");
  t.equal(await podrun.rollout.status('web', { timeoutMs: 30_000 }), 'deployment "web" successfully rolled out');

  await podrun.delete('deploy', 'web');
  await podsUntil(podrun, (ps) => mine(ps, 'web').length === 0, 'pods gone');
  t.same((await podrun.list('rs')).length, 0, 'the ReplicaSets went with it');
});

t.test('a template that never becomes Ready ends ProgressDeadlineExceeded and the old pods keep serving', async (t) => {
  const env = await setup(t);
  const { podrun } = env;
  await podrun.apply(deployment('api', 2, 'v1', { progressDeadlineSeconds: 3 }));
  await deploymentUntil(podrun, 'api', (x) => x.status?.availableReplicas === 2, 'Available');
  const broken = deployment('api', 2, 'v2', { progressDeadlineSeconds: 3 });
  broken.spec!.template.spec!.containers[0]!.readinessProbe = { exec: { command: ['/bin/false'] }, periodSeconds: 1 };
  await podrun.apply(broken);
  const d = await deploymentUntil(podrun, 'api', (x) => condition(x, 'Progressing')?.reason === 'ProgressDeadlineExceeded', 'ProgressDeadlineExceeded');
  t.match(condition(d, 'Progressing'), { status: 'False', reason: 'ProgressDeadlineExceeded' });
  t.match(condition(d, 'Available'), { status: 'True' }, 'still available');
  const pods = mine(await podrun.listPods(), 'api');
  t.equal(pods.filter((p) => versionOf(p) === 'v1' && isReady(p)).length, 2, 'both old pods serve');
  t.ok(pods.filter((p) => versionOf(p) === 'v2').length >= 1, 'the new pod is there, not Ready');
  await t.rejects(podrun.rollout.status('api', { timeoutMs: 5000 }), { message: 'deployment "api" exceeded its progress deadline' });
});
