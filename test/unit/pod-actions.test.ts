// computePodActions, rule by rule: the kubelet's decisions as a pure function of the spec, what
// was observed of each container, and the time.
import t from 'tap';
import type { Container, PodSpec } from 'kubernetes-types/core/v1';
import { KUBELET_BACKOFF } from '../../src/kubelet/backoff';
import { computePodActions, containerHash, type ObservedContainer, type PodActionsInput } from '../../src/kubelet/pod-actions';

const NOW = Date.parse('2026-01-01T00:10:00Z');
const iso = (ms: number) => new Date(ms).toISOString();
const c = (name: string, extra: Partial<Container> = {}): Container => ({ name, image: 'busybox:1', ...extra });

function input(spec: Partial<PodSpec>, containers: Record<string, ObservedContainer | undefined> = {}, extra: Partial<PodActionsInput> = {}): PodActionsInput {
  return {
    spec: { restartPolicy: 'Always', containers: [], ...spec },
    initialized: false,
    sandboxAlive: true,
    containers,
    backoff: KUBELET_BACKOFF,
    startTime: NOW - 60_000,
    now: NOW,
    ...extra,
  };
}

const running = (cont: Container, attempt = 0, extra: Partial<ObservedContainer> = {}): ObservedContainer => ({ attempt, running: true, started: true, hash: containerHash(cont), ...extra });
const exited = (cont: Container, exitCode: number, attempt = 0, finishedAgoMs = 1000, extra: Partial<ObservedContainer> = {}): ObservedContainer => ({
  attempt,
  running: false,
  started: false,
  hash: containerHash(cont),
  exit: { exitCode, startedAt: iso(NOW - finishedAgoMs - 500), finishedAt: iso(NOW - finishedAgoMs) },
  ...extra,
});
const names = (a: { container: Container }[]) => a.map((x) => x.container.name);

t.test('a new pod starts its first init container only', async (t) => {
  const a = computePodActions(input({ initContainers: [c('i1'), c('i2')], containers: [c('app')] }));
  t.same(names(a.start), ['i1']);
  t.equal(a.start[0].kind, 'init');
  t.equal(a.start[0].field, 'spec.initContainers[0]');
  t.notOk(a.initialized);
});

t.test('init containers run in order, each to completion', async (t) => {
  const i1 = c('i1');
  const i2 = c('i2');
  const spec = { initContainers: [i1, i2], containers: [c('app')] };
  t.same(names(computePodActions(input(spec, { i1: running(i1) })).start), [], 'the first still runs: nothing else starts');
  t.same(names(computePodActions(input(spec, { i1: exited(i1, 0) })).start), ['i2'], 'then the second');
  const done = computePodActions(input(spec, { i1: exited(i1, 0), i2: exited(i2, 0) }));
  t.ok(done.initialized, 'all completed: initialized');
  t.same(names(done.start), ['app'], 'and the app containers start in the same decision');
});

t.test('a failed init container: retried with back-off, or the pod fails under Never', async (t) => {
  const i1 = c('i1');
  const spec = { initContainers: [i1], containers: [c('app')] };
  const first = computePodActions(input(spec, { i1: exited(i1, 1, 0) }));
  t.same(names(first.start), ['i1'], 'the first restart is at once');
  t.equal(first.start[0].attempt, 1);
  const second = computePodActions(input(spec, { i1: exited(i1, 1, 1, 1000) }));
  t.same(second.start, []);
  t.equal(second.backOff[0].delayMs, 10_000, 'the second waits 10 s');
  t.equal(second.wakeAt, NOW - 1000 + 10_000, 'and wakes when it is due');
  const never = computePodActions(input({ ...spec, restartPolicy: 'Never' }, { i1: exited(i1, 1) }));
  t.same(never.terminal, { phase: 'Failed', stopAll: false });
});

t.test('native sidecars: started in order, the next waits for started; restarted whenever they exit', async (t) => {
  const side = c('side', { restartPolicy: 'Always' });
  const i2 = c('i2');
  const spec = { initContainers: [side, i2], containers: [c('app')] };
  const a = computePodActions(input(spec));
  t.same(names(a.start), ['side']);
  t.equal(a.start[0].kind, 'sidecar');
  t.same(names(computePodActions(input(spec, { side: running(side, 0, { started: false }) })).start), [], 'startup probe not yet passed: i2 waits');
  t.same(names(computePodActions(input(spec, { side: running(side) })).start), ['i2'], 'started: i2 goes');
  const later = computePodActions(input(spec, { side: exited(side, 0, 0), i2: exited(i2, 0) }, { initialized: true }));
  t.same(names(later.start), ['side', 'app'], 'an exited sidecar restarts even after exit 0');
});

t.test('restart policies of app containers', async (t) => {
  const app = c('app');
  const want = (policy: string, code: number) => names(computePodActions(input({ restartPolicy: policy, containers: [app] }, { app: exited(app, code) }, { initialized: true })).start);
  t.same(want('Always', 0), ['app']);
  t.same(want('Always', 1), ['app']);
  t.same(want('OnFailure', 1), ['app']);
  t.same(want('OnFailure', 0), []);
  t.same(want('Never', 1), []);
});

t.test('back-off: 10 s doubling to 5 min, CrashLoopBackOff until due; reset after 10 min of running', async (t) => {
  const app = c('app');
  const at = (attempt: number, extra: Partial<ObservedContainer> = {}, ranMs = 500) =>
    computePodActions(input({ containers: [app] }, { app: { ...exited(app, 1, attempt, 1000), exit: { exitCode: 1, startedAt: iso(NOW - 1000 - ranMs), finishedAt: iso(NOW - 1000) }, ...extra } }, { initialized: true }));
  t.same(names(at(0).start), ['app'], 'first restart at once');
  t.same([1, 2, 3, 6, 9].map((n) => at(n).backOff[0].delayMs), [10_000, 20_000, 40_000, 300_000, 300_000]);
  t.same(names(at(5, {}, 11 * 60_000).start), ['app'], 'ran 11 min: starts over, at once');
  t.same(names(at(5, { backoffFrom: 5 }).start), ['app'], 'the back-off counts from backoffFrom (a changed spec)');
});

t.test('the pod ends when no app container will run again', async (t) => {
  const a1 = c('a1');
  const a2 = c('a2');
  const spec = { restartPolicy: 'Never', containers: [a1, a2] };
  t.notOk(computePodActions(input(spec, { a1: exited(a1, 0), a2: running(a2) }, { initialized: true })).terminal, 'one still runs');
  t.same(computePodActions(input(spec, { a1: exited(a1, 0), a2: exited(a2, 0) }, { initialized: true })).terminal, { phase: 'Succeeded', stopAll: false });
  t.same(computePodActions(input(spec, { a1: exited(a1, 0), a2: exited(a2, 2) }, { initialized: true })).terminal, { phase: 'Failed', stopAll: false });
  const onFailure = computePodActions(input({ ...spec, restartPolicy: 'OnFailure' }, { a1: exited(a1, 0), a2: exited(a2, 0) }, { initialized: true }));
  t.equal(onFailure.terminal?.phase, 'Succeeded', 'OnFailure, all exited 0');
  t.same(computePodActions(input(spec, {}, { phase: 'Succeeded' })), { kill: [], start: [], backOff: [], initialized: false, createSandbox: false }, 'a terminal pod decides nothing');
});

t.test('per-container restartPolicy and restartPolicyRules on app containers', async (t) => {
  const once = c('once', { restartPolicy: 'Never' });
  const ruled = { ...c('ruled', { restartPolicy: 'Never' }), restartPolicyRules: [{ action: 'Restart' as const, exitCodes: { operator: 'In' as const, values: [42] } }] };
  const spec = { restartPolicy: 'Always', containers: [once, ruled] };
  const a = computePodActions(input(spec, { once: exited(once, 1), ruled: exited(ruled, 42) }, { initialized: true }));
  t.same(names(a.start), ['ruled'], 'Never overrides the pod; exit 42 matches the rule');
  const b = computePodActions(input(spec, { once: exited(once, 1), ruled: exited(ruled, 1) }, { initialized: true }));
  t.same(names(b.start), []);
  t.equal(b.terminal?.phase, 'Failed', 'no rule matched and the container says Never: the pod is done');
});

t.test('probe verdicts: a failed liveness or startup probe kills; the restart policy decides the rest', async (t) => {
  const app = c('app', { livenessProbe: { exec: { command: ['true'] }, terminationGracePeriodSeconds: 2 } });
  const a = computePodActions(input({ containers: [app] }, { app: running(app, 0, { probeFailed: 'liveness' }) }, { initialized: true }));
  t.equal(a.kill.length, 1);
  t.equal(a.kill[0].reason, 'Unhealthy');
  t.equal(a.kill[0].message, 'Container app failed liveness probe, will be restarted');
  t.equal(a.kill[0].graceMs, 2000, "the probe's own grace period");
  t.same(a.start, [], 'nothing starts until it has exited');
});

t.test('an update: a running container on an older spec is killed and started at once, its back-off reset', async (t) => {
  const v1 = c('web', { image: 'web:1' });
  const v2 = c('web', { image: 'web:2' });
  const other = c('other');
  const a = computePodActions(input({ containers: [v2, other] }, { web: running(v1, 3, { backoffFrom: 0 }), other: running(other, 1) }, { initialized: true }));
  t.same(names(a.kill), ['web'], 'only the changed container');
  t.equal(a.kill[0].message, 'Container web definition changed, will be restarted');
  t.same(names(a.start), ['web']);
  t.equal(a.start[0].attempt, 4, 'restartCount + 1');
  t.equal(a.start[0].backoffFrom, 4, 'the back-off starts afresh');
  t.equal(a.start[0].hash, containerHash(v2));
  const never = computePodActions(input({ restartPolicy: 'Never', containers: [v2] }, { web: running(v1) }, { initialized: true }));
  t.same(names(never.start), ['web'], 'whatever the restart policy');
  const backingOff = computePodActions(input({ containers: [v2] }, { web: exited(v1, 1, 5, 1000) }, { initialized: true }));
  t.same(names(backingOff.start), ['web'], 'an exited container on the old spec restarts without waiting out the old back-off');
  const unknown = computePodActions(input({ containers: [v2] }, { web: running(v1, 0, { hash: undefined }) }, { initialized: true }));
  t.same(unknown.kill, [], 'an attempt without a recorded hash is not taken for a change');
});

t.test('termination by deadline, and its wake-up', async (t) => {
  const app = c('app');
  const spec = { activeDeadlineSeconds: 120, containers: [app] };
  const before = computePodActions(input(spec, { app: running(app) }, { initialized: true }));
  t.notOk(before.terminal);
  t.equal(before.wakeAt, NOW - 60_000 + 120_000, 'wakes at the deadline');
  const after = computePodActions(input(spec, { app: running(app) }, { initialized: true, now: NOW + 61_000 }));
  t.same(after.terminal, { phase: 'Failed', reason: 'DeadlineExceeded', message: 'Pod was active on the node longer than the specified deadline', stopAll: true });
});

t.test('a lost sandbox is made again unless the pod may not restart', async (t) => {
  const app = c('app');
  t.ok(computePodActions(input({ containers: [app] }, { app: running(app) }, { sandboxAlive: false })).createSandbox, 'Always');
  t.ok(computePodActions(input({ restartPolicy: 'OnFailure', containers: [app] }, { app: running(app) }, { sandboxAlive: false })).createSandbox, 'OnFailure');
  const never = computePodActions(input({ restartPolicy: 'Never', containers: [app] }, { app: running(app) }, { sandboxAlive: false }));
  t.notOk(never.createSandbox);
  const again = computePodActions(input({ initContainers: [c('init')], containers: [app] }, {}, { firstAttempt: { init: 3, app: 5 } }));
  t.same(
    again.start.map((s) => [s.container.name, s.attempt]),
    [['init', 3]],
    'in the new sandbox the init container runs first again, numbered after its earlier attempts',
  );
  t.equal(never.terminal?.reason, 'SandboxLost', 'Never: the pod fails');
});

t.test('ephemeral containers start once and never restart', async (t) => {
  const app = c('app');
  const dbg = c('debugger');
  const spec = { containers: [app], ephemeralContainers: [dbg] };
  t.same(names(computePodActions(input(spec, { app: running(app) }, { initialized: true })).start), ['debugger']);
  t.same(names(computePodActions(input(spec, { app: running(app), debugger: exited(dbg, 1) }, { initialized: true })).start), []);
});

t.test('containerHash: stable across key order, changed by the image', async (t) => {
  t.equal(containerHash({ name: 'a', image: 'x' }), containerHash({ image: 'x', name: 'a' }));
  t.not(containerHash({ name: 'a', image: 'x' }), containerHash({ name: 'a', image: 'y' }));
  t.equal(containerHash({ name: 'a', image: 'x', args: undefined }), containerHash({ name: 'a', image: 'x' }), 'an undefined key is no key');
});
