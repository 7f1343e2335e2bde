// Stopping containers as the kubelet does: the stop signal first, SIGKILL after the grace
// period; native sidecars stop after the app containers; activeDeadlineSeconds fails the pod.
import t from 'tap';
import { coveredBySubidRun, isDone, missingBusybox, missingFeature, payload, pod, setup } from './harness';

const missing = missingFeature() ?? missingBusybox() ?? coveredBySubidRun();
if (missing) {
  t.comment(`skip: ${missing}`);
  t.plan(0, missing);
  process.exit(0);
}

t.test('a Never pod with a native sidecar succeeds; the sidecar stops after the app, gracefully', async (t) => {
  const { podrun } = await setup(t);
  await podrun.createPod(
    pod('sidecar', {
      restartPolicy: 'Never',
      initContainers: [{ ...payload('helper', 'trap-term'), restartPolicy: 'Always' }],
      containers: [payload('app', 'sleep', '0.5')],
    }),
  );
  const p = await podrun.waitFor('sidecar', (x) => isDone(x) && !!x.status?.initContainerStatuses?.[0]?.state?.terminated, { timeoutMs: 20_000 });
  t.equal(p.status?.phase, 'Succeeded');
  const app = p.status!.containerStatuses![0].state!.terminated!;
  const helper = p.status!.initContainerStatuses![0].state!.terminated!;
  t.equal(app.exitCode, 0);
  t.equal(helper.exitCode, 0, 'the sidecar got SIGTERM and exited on its own (trap-term)');
  t.ok(Date.parse(helper.finishedAt!) >= Date.parse(app.finishedAt!), 'the sidecar stopped after the app container');
  t.ok(Date.parse(helper.startedAt!) <= Date.parse(app.startedAt!), 'and started before it');
});

t.test('SIGKILL after the grace period for a process that ignores SIGTERM', async (t) => {
  const { podrun } = await setup(t);
  // The payload's sleep is PID 1 of its container without a handler: SIGTERM does nothing.
  await podrun.createPod(
    pod('deadline', {
      restartPolicy: 'Always',
      activeDeadlineSeconds: 2,
      terminationGracePeriodSeconds: 1,
      containers: [payload('stubborn', 'sleep', '3600')],
    }),
  );
  const p = await podrun.waitFor('deadline', (x) => isDone(x) && !!x.status?.containerStatuses?.[0]?.state?.terminated, { timeoutMs: 20_000 });
  t.equal(p.status?.phase, 'Failed');
  t.equal(p.status?.reason, 'DeadlineExceeded');
  t.equal(p.status?.message, 'Pod was active on the node longer than the specified deadline');
  const term = p.status!.containerStatuses![0].state!.terminated!;
  t.equal(term.exitCode, 137, 'killed by SIGKILL');
  t.equal(term.signal, 9);
  // By the pod's own record, not this test's clock (a loaded machine starts the pod long before
  // createPod returns): the kill came after the deadline (2 s) and the grace (1 s). The deadline
  // counts from startTime, which has whole seconds (as on the kubelet), so the kill is at least
  // 3 s after the recorded startTime (a timer may fire a hair early); without the grace, 2.
  const lived = (Date.parse(term.finishedAt!) - Date.parse(p.status!.startTime!)) / 1000;
  t.ok(lived >= 2.5, `deadline plus grace before the kill (startTime ${p.status!.startTime}, finishedAt ${term.finishedAt})`);
});

t.test('delete with a grace period lets a SIGTERM handler finish', async (t) => {
  const { podrun } = await setup(t);
  await podrun.createPod(pod('graceful', { containers: [payload('c', 'trap-term')] }));
  await podrun.waitFor('graceful', (x) => !!x.status?.containerStatuses?.[0]?.state?.running, { timeoutMs: 20_000 });
  const t0 = Date.now();
  await podrun.deletePod('graceful', { gracePeriodSeconds: 30 });
  t.ok(Date.now() - t0 < 5000, 'a container that exits on SIGTERM does not wait out the grace period');
  await t.rejects(podrun.getPod('graceful'), { code: 'NotFound' });
});
