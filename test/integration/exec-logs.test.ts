// exec enters a running container (its namespaces, its root, its PID namespace) and returns
// the exit code; logs keep stdout and stderr in order, and `previous` reads the attempt before
// a restart; getPod returns a Kubernetes Pod with phase and container states.
import t from 'tap';
import { execOut, IMAGE, isRunning, logs, missingBusybox, missingFeature, payload, pod, setup, sleep, waitLogs } from './harness';

const missing = missingFeature() ?? missingBusybox();
if (missing) {
  t.comment(`skip: ${missing}`);
  t.plan(0, missing);
  process.exit(0);
}

t.test('exec runs in the container: hostname, root, PID namespace, exit code, stdin', async (t) => {
  const env = await setup(t);
  await env.podrun.createPod(pod('ex', { containers: [payload('main', 'write', '/made-by-main', 'yes', '--then', 'sleep', '3600')] }));
  await env.podrun.waitFor('ex', isRunning, { timeoutMs: 20_000 });
  const h = await execOut(env.podrun, 'ex', ['/payload', 'hostname']);
  t.equal(h.stdout, 'ex\n', 'same hostname as the container');
  t.equal(h.exitCode, 0, 'exit code 0');
  const img = await execOut(env.podrun, 'ex', ['/bin/cat', '/only-in-image']);
  t.equal(img.stdout, 'from the image\n', "sees a file that exists only in the image's root");
  // wait until main has written its file (it runs before the sleep)
  let made = '';
  for (let i = 0; i < 100 && made === ''; i++) {
    made = (await execOut(env.podrun, 'ex', ['/payload', 'cat', '/made-by-main'])).stdout;
    if (!made) await sleep(50);
  }
  t.equal(made, 'yes', "sees what the container wrote to its own root (same mount namespace)");
  const pids = (await execOut(env.podrun, 'ex', ['/payload', 'pids'])).stdout.trim().split('\n').map(Number);
  t.ok(pids.includes(1), `same PID namespace: the container's process is pid 1 (${pids.join(',')})`);
  t.ok(pids.length <= 3, 'and only the container and the exec are visible');
  const cmd1 = (await execOut(env.podrun, 'ex', ['/payload', 'cat', '/proc/1/cmdline'])).stdout.replace(/\0/g, ' ').trim();
  t.equal(cmd1, '/payload write /made-by-main yes --then sleep 3600', 'pid 1 is the container command');
  const rc = await execOut(env.podrun, 'ex', ['/payload', 'exit', '42']);
  t.equal(rc.exitCode, 42, 'the exit code propagates');
  const sh = await execOut(env.podrun, 'ex', ['/bin/sh', '-c', 'echo out; echo err >&2; exit 7']);
  t.same([sh.stdout, sh.stderr, sh.exitCode], ['out\n', 'err\n', 7], 'stdout, stderr and exit code of a shell');
  const cat = await execOut(env.podrun, 'ex', ['/bin/cat'], { input: 'through stdin\nline 2\n' });
  t.equal(cat.stdout, 'through stdin\nline 2\n', 'stdin reaches the process with stdin: true');
  t.equal(cat.exitCode, 0, 'cat ends at the end of stdin');
  await t.rejects(env.podrun.exec('ex', ['/no/such/program']), /no such file|not found|exec/i, 'a missing program is an error');
});

t.test('logs: both streams in order; previous after a restart; getPod is a Kubernetes Pod', async (t) => {
  const env = await setup(t, { podrun: { backoff: { initialMs: 200, maxMs: 1000 } } });
  const script = 'n=$(ls /data | wc -l); touch /data/run-$n; for i in 1 2 3; do echo "out $i run $n"; sleep 0.05; echo "err $i run $n" >&2; sleep 0.05; done; [ $n -ge 1 ] && exec sleep 3600; exit 1';
  await env.podrun.createPod(
    pod('talk', {
      restartPolicy: 'Always',
      volumes: [{ name: 'data', emptyDir: {} }],
      containers: [{ name: 'talk', image: IMAGE, command: ['/bin/sh', '-c', script], volumeMounts: [{ name: 'data', mountPath: '/data' }] }],
    }),
  );
  const p = await env.podrun.waitFor('talk', (p) => isRunning(p) && p.status?.containerStatuses?.[0]?.restartCount === 1, { timeoutMs: 20_000 });
  t.equal(p.apiVersion, 'v1', 'apiVersion v1');
  t.equal(p.kind, 'Pod', 'kind Pod');
  t.equal(p.status?.phase, 'Running', 'status.phase Running');
  const cs = p.status?.containerStatuses?.[0];
  t.equal(cs?.name, 'talk', 'containerStatuses[0].name');
  t.ok(cs?.state?.running?.startedAt, 'containerStatuses[0].state.running.startedAt');
  t.equal(cs?.lastState?.terminated?.exitCode, 1, 'lastState.terminated.exitCode of the first run');
  const cur = await waitLogs(env.podrun, 'talk', 'talk', (l) => l.length >= 6);
  t.same(cur, ['out 1 run 1', 'err 1 run 1', 'out 2 run 1', 'err 2 run 1', 'out 3 run 1', 'err 3 run 1'], 'current logs interleave stdout and stderr in order');
  const prev = await logs(env.podrun, 'talk', { previous: true });
  t.same(prev, ['out 1 run 0', 'err 1 run 0', 'out 2 run 0', 'err 2 run 0', 'out 3 run 0', 'err 3 run 0'], 'previous: the logs of the run before the restart');
  const stamped = await logs(env.podrun, 'talk', { timestamps: true, tailLines: 2 });
  t.equal(stamped.length, 2, 'tailLines');
  t.match(stamped[0], /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z out 3 run 1$/, 'timestamps prefix RFC 3339 times');
});
