// Pod updates as the API server judges them: what may change, what is no change, and the errors.
import t from 'tap';
import type { Pod } from 'kubernetes-types/core/v1';
import { applyPodDefaults } from '../../src/api/defaults';
import { updatePod } from '../../src/api/pod-update';

const manifest = (): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'web', labels: { app: 'web' } },
  spec: { containers: [{ name: 'web', image: 'web:1' }], initContainers: [{ name: 'init', image: 'init:1' }], tolerations: [{ key: 'a', operator: 'Exists' }] },
});

/** As stored: defaulted, with the server's fields. */
function stored(): Pod {
  const p = applyPodDefaults(manifest());
  return { ...p, metadata: { ...p.metadata, uid: 'u', generation: 1, resourceVersion: '1' }, spec: { ...p.spec!, nodeName: 'node1', ephemeralContainers: [{ name: 'dbg', image: 'busybox' }] } };
}

t.test('the same manifest is unchanged, whatever the server filled in', async (t) => {
  t.same(updatePod(stored(), manifest()), { action: 'unchanged' });
});

t.test('images of app and init containers may change; generation counts it', async (t) => {
  const m = manifest();
  m.spec!.containers[0].image = 'web:2';
  m.spec!.initContainers![0].image = 'init:2';
  const u = updatePod(stored(), m);
  if (u.action !== 'configured') throw new Error('not configured');
  t.equal(u.pod.spec!.containers[0].image, 'web:2');
  t.equal(u.pod.spec!.initContainers![0].image, 'init:2');
  t.equal(u.pod.spec!.nodeName, 'node1', 'nodeName kept');
  t.equal(u.pod.spec!.ephemeralContainers?.length, 1, 'ephemeral containers kept');
  t.equal(u.pod.metadata!.generation, 2);
  t.equal(u.pod.metadata!.uid, 'u');
  t.ok(u.specChanged);
});

t.test('labels change without a new generation', async (t) => {
  const m = manifest();
  m.metadata!.labels = { app: 'web', tier: 'front' };
  const u = updatePod(stored(), m);
  if (u.action !== 'configured') throw new Error('not configured');
  t.equal(u.pod.metadata!.generation, 1);
  t.notOk(u.specChanged);
});

t.test('activeDeadlineSeconds may be set or lowered, not raised or removed', async (t) => {
  const m = manifest();
  m.spec!.activeDeadlineSeconds = 100;
  const set = updatePod(stored(), m);
  t.equal(set.action, 'configured');
  const old = set.action === 'configured' ? set.pod : stored();
  const lower = manifest();
  lower.spec!.activeDeadlineSeconds = 50;
  t.equal(updatePod(old, lower).action, 'configured');
  const higher = manifest();
  higher.spec!.activeDeadlineSeconds = 200;
  t.throws(() => updatePod(old, higher), { message: 'Pod "web" is invalid: spec.activeDeadlineSeconds: Invalid value: 200: must be less than or equal to previous value' });
  t.throws(() => updatePod(old, manifest()), { message: 'Pod "web" is invalid: spec.activeDeadlineSeconds: Invalid value: "null": must not update from a positive integer to nil value' });
});

t.test('tolerations: additions only', async (t) => {
  const more = manifest();
  more.spec!.tolerations!.push({ key: 'b', operator: 'Exists' });
  t.equal(updatePod(stored(), more).action, 'configured');
  const fewer = manifest();
  fewer.spec!.tolerations = [];
  t.throws(() => updatePod(stored(), fewer), /spec: Forbidden: pod updates may not change fields other than/);
});

t.test('anything else is forbidden, naming the rule', async (t) => {
  for (const [what, change] of [
    ['a command', (m: Pod) => (m.spec!.containers[0].command = ['sh'])],
    ['a container added', (m: Pod) => m.spec!.containers.push({ name: 'x', image: 'x' })],
    ['the restart policy', (m: Pod) => (m.spec!.restartPolicy = 'Never')],
    ['the grace period', (m: Pod) => (m.spec!.terminationGracePeriodSeconds = 5)],
    ['another node', (m: Pod) => (m.spec!.nodeName = 'node2')],
  ] as const) {
    const m = manifest();
    change(m);
    t.throws(() => updatePod(stored(), m), { message: /^Pod "web" is invalid: spec: Forbidden: pod updates may not change fields other than `spec.containers\[\*\].image`/ }, what);
  }
});

t.test('scheduling gates may be removed, not added', async (t) => {
  const gated = stored();
  gated.spec!.schedulingGates = [{ name: 'a' }, { name: 'b' }];
  const fewer = manifest();
  fewer.spec!.schedulingGates = [{ name: 'b' }];
  t.equal(updatePod(gated, fewer).action, 'configured');
  const more = manifest();
  more.spec!.schedulingGates = [{ name: 'a' }, { name: 'b' }, { name: 'c' }];
  t.throws(() => updatePod(gated, more), { message: 'Pod "web" is invalid: spec.schedulingGates: Forbidden: only deletion is allowed, but found new scheduling gate' });
});
