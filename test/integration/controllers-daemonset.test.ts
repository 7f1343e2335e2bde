// A DaemonSet on the one node: one pod pinned to this host, a new template rolled out, none when
// its nodeSelector does not match the host.
import t from 'tap';
import type { DaemonSet } from 'kubernetes-types/apps/v1';
import type { KubeObject } from '../../src/api/manifest';
import { coveredBySubidRun, IMAGE, missingBusybox, missingFeature, setup } from './harness';
import { podsUntil } from './watch-pods';

const missing = missingFeature() ?? missingBusybox() ?? coveredBySubidRun();
if (missing) {
  t.comment(`skip: ${missing}`);
  t.plan(0, missing);
  process.exit(0);
}

function ds(version: string, nodeSelector?: Record<string, string>): DaemonSet & KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name: 'agent' },
    spec: {
      selector: { matchLabels: { app: 'agent' } },
      template: {
        metadata: { labels: { app: 'agent' } },
        spec: { terminationGracePeriodSeconds: 1, ...(nodeSelector ? { nodeSelector } : {}), containers: [{ name: 'a', image: IMAGE, command: ['/payload', 'sleep', '3600'], env: [{ name: 'V', value: version }] }] },
      },
    },
  };
}

const live = (ps: { metadata?: { deletionTimestamp?: string }; status?: { phase?: string } }[]) => ps.filter((p) => !p.metadata?.deletionTimestamp && p.status?.phase === 'Running');

t.test('one pod on this node; a new template replaces it; a selector the node lacks leaves none', async (t) => {
  const env = await setup(t);
  const { podrun } = env;
  await podrun.apply(ds('v1'));
  let pods = await podsUntil(podrun, (ps) => live(ps).length === 1, 'the daemon pod');
  const node = (await podrun.listNodes())[0]!.metadata!.name!;
  const pod = live(pods)[0] as (typeof pods)[0];
  t.equal(pod.spec?.nodeName, node, 'on this node');
  t.same(pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms?.[0]?.matchFields, [{ key: 'metadata.name', operator: 'In', values: [node] }], 'pinned by matchFields');
  t.ok((pod.spec?.tolerations ?? []).some((x) => x.key === 'node.kubernetes.io/not-ready'), 'with the daemon tolerations');

  await podrun.apply(ds('v2'));
  pods = await podsUntil(podrun, (ps) => live(ps).length === 1 && live(ps).every((p) => (p as (typeof pods)[0]).spec?.containers[0]?.env?.[0]?.value === 'v2'), 'the v2 pod');
  t.not(live(pods)[0]!.metadata, pod.metadata, 'replaced');
  const status = (await podrun.get<DaemonSet>('ds', 'agent')).status;
  t.match(status, { desiredNumberScheduled: 1, currentNumberScheduled: 1, updatedNumberScheduled: 1, numberMisscheduled: 0 });
  const v2 = live(pods)[0]!.metadata!.uid;
  await podrun.rollout.restart('agent', { kind: 'DaemonSet' });
  t.equal(await podrun.rollout.status('agent', { kind: 'DaemonSet', timeoutMs: 60_000 }), 'daemon set "agent" successfully rolled out');
  pods = await podsUntil(podrun, (ps) => live(ps).length === 1, 'the restarted pod');
  t.not(live(pods)[0]!.metadata!.uid, v2, 'rollout restart replaced the pod');
  t.same((await podrun.rollout.history('agent', { kind: 'DaemonSet' })).map((r) => r.revision), [1, 2, 3], 'v1, v2 and the restart are revisions');
  t.equal(await podrun.rollout.undo('agent', { kind: 'DaemonSet', toRevision: 1 }), 'rolled back');
  pods = await podsUntil(podrun, (ps) => live(ps).length === 1 && live(ps).every((p) => (p as (typeof pods)[0]).spec?.containers[0]?.env?.[0]?.value === 'v1'), 'the v1 pod again');
  t.same((await podrun.rollout.history('agent', { kind: 'DaemonSet' })).map((r) => r.revision), [2, 3, 4], 'revision 1 is revision 4 now');

  await podrun.apply(ds('v2', { 'podrun.io/no-such-label': 'x' }));
  await podsUntil(podrun, (ps) => ps.length === 0, 'no pod');
  t.match((await podrun.get<DaemonSet>('ds', 'agent')).status, { desiredNumberScheduled: 0, currentNumberScheduled: 0 });
});
