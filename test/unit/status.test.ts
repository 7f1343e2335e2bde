import t from 'tap';
import type { Pod } from 'kubernetes-types/core/v1';
import { applyPodDefaults } from '../../src/api/defaults';
import { newPodState } from '../../src/kubelet/pod-state';
import { computeStatus, type StatusInputs } from '../../src/kubelet/status';
import type { AttemptRecord } from '../../src/runtime/records';

const pod = applyPodDefaults({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'p', uid: 'u' },
  spec: { initContainers: [{ name: 'init', image: 'x' }], containers: [{ name: 'a', image: 'x' }, { name: 'b', image: 'x' }] },
} as Pod);

function started(name: string, attempt: number): AttemptRecord {
  return { attempt, start: { name, attempt, pid: 1, startTime: 1, startedAt: `2026-01-01T00:00:0${attempt}Z` } };
}
function exited(name: string, attempt: number, exitCode: number): AttemptRecord {
  const s = started(name, attempt);
  return { ...s, exit: { ...s.start!, exitCode, signal: 0, finishedAt: `2026-01-01T00:00:1${attempt}Z` } };
}

function inputs(over: Partial<StatusInputs>): StatusInputs {
  return { pod, podId: 'id', state: newPodState('2026-01-01T00:00:00Z'), attempts: new Map(), isRunning: (_n, a) => !!a.start && !a.exit, imageIds: new Map(), hostIP: '10.0.0.1', now: '2026-01-01T00:01:00Z', ...over };
}

t.test('while the init container runs: Pending, PodInitializing, Initialized False', async (t) => {
  const s = computeStatus(inputs({ attempts: new Map([['init', [started('init', 0)]]]) }));
  t.equal(s.phase, 'Pending');
  t.same(s.containerStatuses!.map((c) => c.state!.waiting?.reason), ['PodInitializing', 'PodInitializing']);
  const init = s.conditions!.find((c) => c.type === 'Initialized')!;
  t.equal(init.status, 'False');
  t.equal(init.reason, 'ContainersNotInitialized');
  t.equal(init.message, 'containers with incomplete status: [init]');
  t.ok(s.initContainerStatuses![0].state!.running);
});

t.test('running, with a restart in back-off', async (t) => {
  const state = { ...newPodState('2026-01-01T00:00:00Z'), initialized: true, containers: { b: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 10s restarting failed container=b pod=p_default(u)' } } } };
  const s = computeStatus(
    inputs({
      state,
      attempts: new Map([
        ['init', [exited('init', 0, 0)]],
        ['a', [started('a', 0)]],
        ['b', [exited('b', 0, 1), exited('b', 1, 1)]],
      ]),
    }),
  );
  t.equal(s.phase, 'Running');
  const [a, b] = s.containerStatuses!;
  t.ok(a.state!.running);
  t.equal(a.ready, true);
  t.equal(b.state!.waiting!.reason, 'CrashLoopBackOff');
  t.equal(b.restartCount, 1);
  t.equal(b.lastState!.terminated!.exitCode, 1);
  t.equal(b.lastState!.terminated!.reason, 'Error');
  t.equal(s.conditions!.find((c) => c.type === 'Ready')!.message, 'containers with unready status: [b]');
  t.equal(s.qosClass, 'BestEffort');
});

t.test('terminal phase and Completed reasons', async (t) => {
  const state = { ...newPodState('2026-01-01T00:00:00Z'), initialized: true, phase: 'Succeeded' as const };
  const s = computeStatus(inputs({ state, attempts: new Map([['init', [exited('init', 0, 0)]], ['a', [exited('a', 0, 0)]], ['b', [exited('b', 0, 0)]]]) }));
  t.equal(s.phase, 'Succeeded');
  t.same(s.containerStatuses!.map((c) => c.state!.terminated!.reason), ['Completed', 'Completed']);
  t.equal(s.conditions!.find((c) => c.type === 'Ready')!.reason, 'PodCompleted');
});

t.test('a process that is gone without an exit record is ContainerStatusUnknown', async (t) => {
  const state = { ...newPodState('2026-01-01T00:00:00Z'), initialized: true };
  const s = computeStatus(inputs({ state, isRunning: () => false, attempts: new Map([['a', [started('a', 0)]]]) }));
  t.equal(s.containerStatuses![0].state!.terminated!.reason, 'ContainerStatusUnknown');
});

t.test('a native sidecar that is not ready keeps the pod from Ready', async (t) => {
  const withSidecar = applyPodDefaults({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', uid: 'u' },
    spec: { initContainers: [{ name: 'side', image: 'x', restartPolicy: 'Always' }], containers: [{ name: 'a', image: 'x' }] },
  } as Pod);
  const state = { ...newPodState('2026-01-01T00:00:00Z'), initialized: true };
  const attempts = new Map([
    ['side', [started('side', 0)]],
    ['a', [started('a', 0)]],
  ]);
  const notReady = computeStatus(inputs({ pod: withSidecar, state, attempts, probes: (n) => (n === 'side' ? { started: true, ready: false } : undefined) }));
  t.equal(notReady.conditions!.find((c) => c.type === 'Ready')!.message, 'containers with unready status: [side]');
  const ready = computeStatus(inputs({ pod: withSidecar, state, attempts }));
  t.equal(ready.conditions!.find((c) => c.type === 'Ready')!.status, 'True');
  t.equal(ready.initContainerStatuses![0].ready, true, 'a running sidecar without a readiness probe is ready');
});

t.test('readiness gates: Ready waits for the named condition; ContainersReady does not', async (t) => {
  const gated = (types: string[]) => ({ ...pod, spec: { ...pod.spec!, readinessGates: types.map((conditionType) => ({ conditionType })) } }) as Pod;
  const attempts = new Map([
    ['init', [exited('init', 0, 0)]],
    ['a', [started('a', 0)]],
    ['b', [started('b', 0)]],
  ]);
  const state = { ...newPodState('2026-01-01T00:00:00Z'), initialized: true };
  const cond = (s: ReturnType<typeof computeStatus>, type: string) => s.conditions!.find((c) => c.type === type)!;
  const open = computeStatus(inputs({ pod, state, attempts }));
  t.equal(cond(open, 'Ready').status, 'True', 'without gates, ready');
  const s = computeStatus(inputs({ pod: gated(['www.example.com/feature-1']), state, attempts }));
  t.equal(cond(s, 'ContainersReady').status, 'True');
  t.same({ status: cond(s, 'Ready').status, reason: cond(s, 'Ready').reason, message: cond(s, 'Ready').message }, { status: 'False', reason: 'ReadinessGatesNotReady', message: 'corresponding condition of pod readiness gate "www.example.com/feature-1" does not exist.' });
  t.equal(cond(computeStatus(inputs({ pod: gated(['PodScheduled']), state, attempts })), 'Ready').status, 'True', 'a gate on a condition that is True is met');
});
