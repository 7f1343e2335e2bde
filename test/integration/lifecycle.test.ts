// The kubelet's rules for a pod's life: init containers in order and to completion before any
// app container; a failing init container under restartPolicy Never fails the pod; restarts
// per restartPolicy with back-off; Succeeded when everything exits 0.
import t from 'tap';
import { coveredBySubidRun, IMAGE, isDone, logs, missingBusybox, missingFeature, payload, pod, setup, sleep } from './harness';

const missing = missingFeature() ?? missingBusybox() ?? coveredBySubidRun();
if (missing) {
  t.comment(`skip: ${missing}`);
  t.plan(0, missing);
  process.exit(0);
}

t.test('init containers run in order, each to completion, before app containers', async (t) => {
  const env = await setup(t);
  const steps = { name: 'steps', emptyDir: {} };
  const mount = [{ name: 'steps', mountPath: '/steps' }];
  await env.podrun.createPod(
    pod('inits', {
      restartPolicy: 'Never',
      volumes: [steps],
      initContainers: [
        { name: 'first', image: IMAGE, command: ['/bin/sh', '-c', 'sleep 0.3; ls /steps > /steps/first-saw; touch /steps/first'], volumeMounts: mount },
        { name: 'second', image: IMAGE, command: ['/bin/sh', '-c', 'ls /steps > /steps/second-saw; touch /steps/second'], volumeMounts: mount },
      ],
      containers: [{ name: 'app', image: IMAGE, command: ['/bin/sh', '-c', 'ls /steps | tr "\\n" " "'], volumeMounts: mount }],
    }),
  );
  const done = await env.podrun.waitFor('inits', isDone, { timeoutMs: 20_000 });
  t.equal(done.status?.phase, 'Succeeded', 'the pod succeeds');
  const st = Object.fromEntries([...(done.status?.initContainerStatuses ?? []), ...(done.status?.containerStatuses ?? [])].map((c) => [c.name, c.state?.terminated]));
  t.ok(st.first && st.second && st.app, 'all three terminated');
  t.ok(Date.parse(st.first!.finishedAt!) <= Date.parse(st.second!.startedAt!), 'second started after first finished');
  t.ok(Date.parse(st.second!.finishedAt!) <= Date.parse(st.app!.startedAt!), 'app started after second finished');
  const app = await logs(env.podrun, 'inits', { container: 'app' });
  t.same(app, ['first first-saw second second-saw '], 'the app saw both init containers done; first saw nothing before it');
});

t.test('a failing init container under restartPolicy Never fails the pod; the app never starts', async (t) => {
  const env = await setup(t);
  await env.podrun.createPod(
    pod('bad-init', {
      restartPolicy: 'Never',
      initContainers: [payload('fails', 'exit', '5')],
      containers: [payload('app', 'echo', 'should not run')],
    }),
  );
  const done = await env.podrun.waitFor('bad-init', isDone, { timeoutMs: 20_000 });
  t.equal(done.status?.phase, 'Failed', 'the pod is Failed');
  t.equal(done.status?.initContainerStatuses?.[0]?.state?.terminated?.exitCode, 5, 'the init container exit code is reported');
  await sleep(300);
  const again = await env.podrun.getPod('bad-init');
  t.notOk(again.status?.containerStatuses?.[0]?.state?.running || again.status?.containerStatuses?.[0]?.state?.terminated, 'the app container never ran');
  await t.rejects(logs(env.podrun, 'bad-init', { container: 'app' }), /waiting to start/, 'and has no logs');
});

t.test('restartPolicy Always restarts a crashing container with growing restartCount', async (t) => {
  const env = await setup(t, { podrun: { backoff: { initialMs: 200, maxMs: 1000 } } });
  await env.podrun.createPod(pod('crash', { restartPolicy: 'Always', containers: [payload('c', 'exit', '1')] }));
  const seen: number[] = [];
  const reasons = new Set<string>();
  const until = Date.now() + 15_000;
  while (Date.now() < until) {
    const p = await env.podrun.getPod('crash');
    const n = p.status?.containerStatuses?.[0]?.restartCount ?? 0;
    const waiting = p.status?.containerStatuses?.[0]?.state?.waiting?.reason;
    if (waiting) reasons.add(waiting);
    if (seen[seen.length - 1] !== n) seen.push(n);
    if (n >= 3) break;
    await sleep(50);
  }
  t.ok(seen[seen.length - 1]! >= 3, `restartCount reached 3 (${seen.join(' -> ')})`);
  t.same(seen, [...seen].sort((a, b) => a - b), 'restartCount only grows');
  t.ok(reasons.has('CrashLoopBackOff'), `between restarts the container waits in CrashLoopBackOff (${[...reasons].join(',')})`);
  const p = await env.podrun.getPod('crash');
  t.equal(p.status?.phase, 'Running', 'the pod stays Running (kubelet: a restarting pod is Running)');
  t.equal(p.status?.containerStatuses?.[0]?.lastState?.terminated?.exitCode, 1, 'lastState shows exit code 1');
});

t.test('restartPolicy OnFailure restarts only failures; Never restarts nothing', async (t) => {
  const env = await setup(t, { podrun: { backoff: { initialMs: 200, maxMs: 1000 } } });
  // Fails on the first run, succeeds on the second (a marker in an emptyDir survives the restart).
  const flaky = 'if [ -e /v/ran ]; then exit 0; fi; touch /v/ran; exit 3';
  await env.podrun.createPod(
    pod('onfail', {
      restartPolicy: 'OnFailure',
      volumes: [{ name: 'v', emptyDir: {} }],
      containers: [
        { name: 'flaky', image: IMAGE, command: ['/bin/sh', '-c', flaky], volumeMounts: [{ name: 'v', mountPath: '/v' }] },
        payload('ok', 'exit', '0'),
      ],
    }),
  );
  await env.podrun.createPod(pod('never', { restartPolicy: 'Never', containers: [payload('fails', 'exit', '3'), payload('ok', 'exit', '0')] }));
  const onfail = await env.podrun.waitFor('onfail', isDone, { timeoutMs: 20_000 });
  t.equal(onfail.status?.phase, 'Succeeded', 'OnFailure: the pod succeeds after one restart');
  const byName = Object.fromEntries((onfail.status?.containerStatuses ?? []).map((c) => [c.name, c]));
  t.equal(byName.flaky?.restartCount, 1, 'the failing container restarted once');
  t.equal(byName.ok?.restartCount, 0, 'the one that exited 0 did not restart');
  const never = await env.podrun.waitFor('never', isDone, { timeoutMs: 20_000 });
  t.equal(never.status?.phase, 'Failed', 'Never: a failed container fails the pod');
  t.same(never.status?.containerStatuses?.map((c) => c.restartCount), [0, 0], 'nothing restarted');
  t.equal(never.status?.containerStatuses?.find((c) => c.name === 'fails')?.state?.terminated?.exitCode, 3, 'exit code 3 reported');
});

t.test('Succeeded when every container exits 0', async (t) => {
  const env = await setup(t);
  await env.podrun.createPod(pod('ok', { restartPolicy: 'Always', containers: [payload('a', 'exit', '0')] }));
  await env.podrun.createPod(pod('ok2', { restartPolicy: 'Never', containers: [payload('a', 'echo', 'hi'), payload('b', 'sleep', '0.3')] }));
  const ok2 = await env.podrun.waitFor('ok2', isDone, { timeoutMs: 20_000 });
  t.equal(ok2.status?.phase, 'Succeeded', 'Never: Succeeded when all exit 0');
  t.same(ok2.status?.containerStatuses?.map((c) => c.state?.terminated?.reason), ['Completed', 'Completed'], 'both Completed');
  // restartPolicy Always never lets a pod reach Succeeded: the container is restarted.
  await sleep(500);
  const ok = await env.podrun.getPod('ok');
  t.equal(ok.status?.phase, 'Running', 'Always: a container that exits 0 is restarted, the pod stays Running');
});
