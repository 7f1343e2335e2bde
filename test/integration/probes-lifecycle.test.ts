// The engine's use of probes and hooks, as the kubelet's: readiness drives `ready` and the Ready
// condition; a failing liveness or startup probe restarts the container (Unhealthy, Killing
// events); postStart runs before the next container starts; preStop runs before the stop signal.
import t from 'tap';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { coveredBySubidRun, IMAGE, isDone, missingBusybox, missingFeature, payload, pod, setup } from './harness';

const missing = missingFeature() ?? missingBusybox() ?? coveredBySubidRun();
if (missing) {
  t.comment(`skip: ${missing}`);
  t.plan(0, missing);
  process.exit(0);
}

t.test('readiness: not ready until the server answers, then Ready', async (t) => {
  const { podrun } = await setup(t);
  await podrun.createPod(
    pod('ready', {
      containers: [
        {
          ...payload('web', 'sleep', '1.5', '--then', 'serve-http', '8080', 'hi'),
          ports: [{ name: 'http', containerPort: 8080 }],
          readinessProbe: { httpGet: { path: '/', port: 'http' }, periodSeconds: 1 },
        },
      ],
    }),
  );
  const early = await podrun.waitFor('ready', (p) => !!p.status?.containerStatuses?.[0]?.state?.running, { timeoutMs: 10_000 });
  t.equal(early.status!.containerStatuses![0].ready, false, 'running but not ready before the probe succeeds');
  t.equal(early.status!.conditions!.find((c) => c.type === 'Ready')!.status, 'False');
  const later = await podrun.waitFor('ready', (p) => p.status?.containerStatuses?.[0]?.ready === true, { timeoutMs: 15_000 });
  t.equal(later.status!.conditions!.find((c) => c.type === 'Ready')!.status, 'True', 'Ready once the probe passed');
  const events = await podrun.listEvents({ pod: 'ready' });
  t.ok(events.some((e) => e.reason === 'Unhealthy' && /Readiness probe failed/.test(e.message ?? '')), 'the failed readiness probes are Unhealthy events');
});

t.test('liveness: a failing probe restarts the container', async (t) => {
  const { podrun } = await setup(t);
  await podrun.createPod(
    pod('live', {
      containers: [
        {
          name: 'c',
          image: IMAGE,
          command: ['sh', '-c', 'touch /tmp/healthy; sleep 1; rm /tmp/healthy; sleep 600'],
          livenessProbe: { exec: { command: ['cat', '/tmp/healthy'] }, periodSeconds: 1, failureThreshold: 1 },
        },
      ],
      terminationGracePeriodSeconds: 1,
    }),
  );
  const p = await podrun.waitFor('live', (x) => (x.status?.containerStatuses?.[0]?.restartCount ?? 0) >= 1, { timeoutMs: 20_000 });
  t.ok(p.status!.containerStatuses![0].restartCount! >= 1, 'restarted');
  const events = await podrun.listEvents({ pod: 'live' });
  t.ok(events.some((e) => e.reason === 'Unhealthy' && /^Liveness probe failed:/.test(e.message ?? '')), 'Unhealthy event');
  t.ok(events.some((e) => e.reason === 'Killing' && e.message === 'Container c failed liveness probe, will be restarted'), 'Killing event with the kubelet message');
});

t.test('startup: liveness waits for it; failing it restarts the container', async (t) => {
  const { podrun } = await setup(t);
  await podrun.createPod(
    pod('startup', {
      containers: [
        {
          ...payload('c', 'sleep', '600'),
          startupProbe: { exec: { command: ['/payload', 'exit', '1'] }, periodSeconds: 1, failureThreshold: 2 },
          livenessProbe: { exec: { command: ['/payload', 'exit', '1'] }, periodSeconds: 1, failureThreshold: 1 },
        },
      ],
      terminationGracePeriodSeconds: 0,
    }),
  );
  const early = await podrun.waitFor('startup', (p) => !!p.status?.containerStatuses?.[0]?.state?.running, { timeoutMs: 10_000 });
  t.equal(early.status!.containerStatuses![0].started, false, 'not started until the startup probe passes');
  await podrun.waitFor('startup', (x) => (x.status?.containerStatuses?.[0]?.restartCount ?? 0) >= 1, { timeoutMs: 20_000 });
  const events = await podrun.listEvents({ pod: 'startup' });
  t.ok(events.some((e) => /^Startup probe failed/.test(e.message ?? '')), 'startup probe failures reported');
  t.notOk(events.some((e) => /^Liveness probe failed/.test(e.message ?? '')), 'liveness never ran before startup passed');
});

t.test('postStart runs before the next container; preStop before the stop signal', async (t) => {
  const env = await setup(t);
  const { podrun } = env;
  const out = path.join(env.scratch, 'hooks');
  fs.mkdirSync(out, { mode: 0o777 });
  fs.chmodSync(out, 0o777);
  await podrun.createPod(
    pod('hooks', {
      terminationGracePeriodSeconds: 5,
      containers: [
        {
          ...payload('first', 'trap-term'),
          lifecycle: {
            postStart: { exec: { command: ['/payload', 'write', '/out/poststart', 'done'] } },
            preStop: { exec: { command: ['/payload', 'write', '/out/prestop', 'done'] } },
          },
          volumeMounts: [{ name: 'out', mountPath: '/out' }],
        },
      ],
      volumes: [{ name: 'out', hostPath: { path: out } }],
    }),
  );
  await podrun.waitFor('hooks', (p) => !!p.status?.containerStatuses?.[0]?.state?.running, { timeoutMs: 10_000 });
  t.equal(fs.readFileSync(path.join(out, 'poststart'), 'utf8'), 'done', 'postStart ran');
  await podrun.deletePod('hooks');
  t.equal(fs.readFileSync(path.join(out, 'prestop'), 'utf8'), 'done', 'preStop ran on delete');
});

t.test('a failing postStart kills the container', async (t) => {
  const { podrun } = await setup(t);
  await podrun.createPod(
    pod('badhook', {
      restartPolicy: 'Never',
      terminationGracePeriodSeconds: 1,
      containers: [{ ...payload('c', 'sleep', '600'), lifecycle: { postStart: { exec: { command: ['/payload', 'exit', '7'] } } } }],
    }),
  );
  const p = await podrun.waitFor('badhook', isDone, { timeoutMs: 15_000 });
  t.equal(p.status?.phase, 'Failed');
  const events = await podrun.listEvents({ pod: 'badhook' });
  t.ok(events.some((e) => e.reason === 'FailedPostStartHook'), 'FailedPostStartHook event');
});
