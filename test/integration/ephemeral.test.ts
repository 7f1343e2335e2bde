// Ephemeral containers (kubectl debug): they join a running pod's namespaces, and with
// targetContainerName that container's PID namespace; they never restart; fields that make
// no sense for them are refused with the field path.
import t from 'tap';
import { IMAGE, isRunning, logs, missingBusybox, missingFeature, payload, pod, setup } from './harness';

const missing = missingFeature() ?? missingBusybox();
if (missing) {
  t.comment(`skip: ${missing}`);
  t.plan(0, missing);
  process.exit(0);
}

t.test('an ephemeral container joins the pod and its target PID namespace', async (t) => {
  const { podrun } = await setup(t);
  await podrun.createPod(pod('dbg', { containers: [payload('app', 'sleep', '3600')] }));
  await podrun.waitFor('dbg', isRunning, { timeoutMs: 20_000 });

  const ephemeral = (name: string, target?: string) => ({
    name,
    image: IMAGE,
    command: ['/payload', 'hostname', '--then', 'pids', '--then', 'cat', '/proc/1/cmdline', '--then', 'exit', '1'],
    ...(target ? { targetContainerName: target } : {}),
  });
  await podrun.addEphemeralContainer('dbg', ephemeral('debugger', 'app'));
  const done = (name: string) => (p: Awaited<ReturnType<typeof podrun.getPod>>) => !!p.status?.ephemeralContainerStatuses?.find((s) => s.name === name)?.state?.terminated;
  let p = await podrun.waitFor('dbg', done('debugger'), { timeoutMs: 20_000 });
  const lines = await logs(podrun, 'dbg', { container: 'debugger' });
  t.equal(lines[0], 'dbg', 'the pod hostname (shared UTS namespace)');
  t.ok(lines.includes('1'), 'sees PID 1 of the target');
  t.ok(lines.some((l) => l.startsWith('/payload\u0000sleep')), `PID 1 is the target's process: ${JSON.stringify(lines)}`);
  const st = p.status!.ephemeralContainerStatuses!.find((s) => s.name === 'debugger')!;
  t.equal(st.state!.terminated!.exitCode, 1);

  await podrun.addEphemeralContainer('dbg', ephemeral('loner'));
  p = await podrun.waitFor('dbg', done('loner'), { timeoutMs: 20_000 });
  const own = await logs(podrun, 'dbg', { container: 'loner' });
  t.notOk(own.some((l) => l.startsWith('/payload\u0000sleep')), 'without a target it has its own PID namespace');

  await new Promise((r) => setTimeout(r, 1500));
  p = await podrun.getPod('dbg');
  t.equal(p.status!.ephemeralContainerStatuses!.find((s) => s.name === 'debugger')!.restartCount, 0, 'never restarted');
  t.equal(p.status?.phase, 'Running', 'the pod is unaffected');
});

t.test('ephemeral containers are refused with field paths', async (t) => {
  const { podrun } = await setup(t);
  await podrun.createPod(pod('dbg2', { containers: [payload('app', 'sleep', '3600')] }));
  await podrun.waitFor('dbg2', isRunning, { timeoutMs: 20_000 });
  await t.rejects(podrun.addEphemeralContainer('dbg2', { name: 'x', image: IMAGE, ports: [{ containerPort: 80 }] }), {
    message: 'spec.ephemeralContainers[0].ports: Forbidden: cannot be set for an Ephemeral Container',
  });
  await t.rejects(podrun.addEphemeralContainer('dbg2', { name: 'x', image: IMAGE, lifecycle: { preStop: { exec: { command: ['true'] } } } }), /spec\.ephemeralContainers\[0\]\.lifecycle: Forbidden/);
  await t.rejects(podrun.addEphemeralContainer('dbg2', { name: 'app', image: IMAGE }), /spec\.ephemeralContainers\[0\]\.name: Duplicate value: "app"/);
  const p = await podrun.getPod('dbg2');
  t.same(p.spec?.ephemeralContainers ?? [], [], 'nothing was added');
});
