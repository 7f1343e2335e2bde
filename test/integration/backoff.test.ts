// Restart back-off as the kubelet's: the first restart at once, then the initial delay, doubling
// (10 s, 20 s, 40 s by default; shortened here through the engine's back-off option), shown as
// CrashLoopBackOff with the kubelet's message; a failing init container under Always is retried
// the same way while the pod stays Pending.
import t from 'tap';
import { coveredBySubidRun, missingBusybox, missingFeature, payload, pod, setup } from './harness';
import { readAttempts } from '../../src/runtime/records';
import { podPaths } from './harness';

const missing = missingFeature() ?? missingBusybox() ?? coveredBySubidRun();
if (missing) {
  t.comment(`skip: ${missing}`);
  t.plan(0, missing);
  process.exit(0);
}

const BASE = 400;

t.test('restart times follow base, 2x base, 4x base; CrashLoopBackOff while waiting', async (t) => {
  const env = await setup(t, { podrun: { backoff: { initialMs: BASE, maxMs: 60_000 } } });
  const { podrun } = env;
  const created = await podrun.createPod(pod('crash', { containers: [payload('c', 'exit', '1')] }));
  let sawBackoff = '';
  const p = await podrun.waitFor(
    'crash',
    (x) => {
      const w = x.status?.containerStatuses?.[0]?.state?.waiting;
      if (w?.reason === 'CrashLoopBackOff') sawBackoff = w.message ?? '';
      return (x.status?.containerStatuses?.[0]?.restartCount ?? 0) >= 4;
    },
    { timeoutMs: 30_000 },
  );
  t.match(sawBackoff, new RegExp(`^back-off \\d+s restarting failed container=c pod=crash_default\\(${p.metadata!.uid}\\)$`), 'the kubelet message');
  const attempts = readAttempts(podPaths(env, created), 'c');
  // Delay before attempt n+1: from the previous exit to the next start.
  const delays = attempts.slice(1, 5).map((a, k) => Date.parse(a.start!.startedAt) - Date.parse(attempts[k].exit!.finishedAt));
  t.ok(delays[0] < BASE, `first restart at once (${delays[0]} ms)`);
  for (const [k, factor] of [[1, 1], [2, 2], [3, 4]] as const) {
    const want = BASE * factor;
    t.ok(delays[k] >= want - 20 && delays[k] < want * 1.5 + 500, `restart ${k + 1} after about ${want} ms (${delays[k]} ms)`);
  }
  const events = await podrun.listEvents({ pod: 'crash' });
  t.ok(events.some((e) => e.reason === 'BackOff' && (e.count ?? 0) >= 1), 'BackOff events');
});

t.test('a failing init container under Always is retried; the pod stays Pending', async (t) => {
  const { podrun } = await setup(t, { podrun: { backoff: { initialMs: 200, maxMs: 400 } } });
  await podrun.createPod(pod('initloop', { initContainers: [payload('init', 'exit', '1')], containers: [payload('app', 'sleep', '600')] }));
  const p = await podrun.waitFor('initloop', (x) => (x.status?.initContainerStatuses?.[0]?.restartCount ?? 0) >= 3, { timeoutMs: 20_000 });
  t.equal(p.status?.phase, 'Pending');
  t.equal(p.status?.containerStatuses?.[0]?.state?.waiting?.reason, 'PodInitializing', 'the app container never started');
  const init = p.status!.conditions!.find((c) => c.type === 'Initialized')!;
  t.equal(init.status, 'False');
  t.equal(init.message, 'containers with incomplete status: [init]');
});
