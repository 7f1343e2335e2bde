// A crash loop with the kubelet's real back-off, through bin/podrun with defaults only: the
// first restart at once, the second after 10 s, CrashLoopBackOff (with the kubelet's message)
// while it waits, BackOff events, and `get pods` saying so.
import t from 'tap';
import { e2e, missingE2e, podYaml } from './e2e-harness';
import { coveredBySubidRun } from '../integration/harness';

const missing = missingE2e() ?? coveredBySubidRun();
if (missing) {
  t.comment(`skip: ${missing}`);
  t.plan(0, missing);
  process.exit(0);
}

t.test('restartPolicy Always: exit 1 goes into CrashLoopBackOff and keeps restarting', async (t) => {
  const env = await e2e(t);
  t.match(env.ok(['apply', '-f', env.file('crash.yaml', podYaml('crash', { c: ['sh', '-c', 'echo try; exit 1'] }))]), 'pod/crash created');
  const p = await env.until('crash', (p) => (p.status?.containerStatuses?.[0]?.restartCount ?? 0) >= 2 && p.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'CrashLoopBackOff', 60_000);
  t.ok(p, 'restartCount reaches 2 and the container waits in CrashLoopBackOff');
  const s = p?.status?.containerStatuses?.[0];
  t.match(s?.state?.waiting?.message ?? '', /^back-off 20s restarting failed container=c pod=crash_default\(/, "the kubelet's message: the third start waits 20 s");
  t.equal(s?.lastState?.terminated?.exitCode, 1, 'lastState holds the exit');
  t.equal(p?.status?.phase, 'Running', 'the pod stays Running');
  t.match(env.ok(['get', 'pods']), /crash\s+0\/1\s+CrashLoopBackOff\s+2 \(/, 'get pods says CrashLoopBackOff');
  const events = env.ok(['get', 'events', '--field-selector', 'involvedObject.name=crash']);
  t.match(events, /Warning\s+BackOff\s+pod\/crash\s+Back-off restarting failed container c in pod crash_default/, 'BackOff events');
  t.match(env.ok(['logs', 'crash', '--previous']), 'try\n', 'logs --previous shows the last attempt');
});

t.test('restartPolicy OnFailure: exit 0 completes the pod, no restart', async (t) => {
  const env = await e2e(t);
  env.ok(['apply', '-f', env.file('once.yaml', podYaml('once', { c: ['true'] }, '  restartPolicy: OnFailure\n'))]);
  const p = await env.until('once', (p) => p.status?.phase === 'Succeeded', 30_000);
  t.equal(p?.status?.containerStatuses?.[0]?.restartCount, 0);
  t.equal(p?.status?.containerStatuses?.[0]?.state?.terminated?.reason, 'Completed');
});
