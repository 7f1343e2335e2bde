// apply as kubectl users know it, with defaults only: the same manifest twice is `unchanged`; a
// new image is `configured` and restarts only that container; a forbidden change is refused
// with the API server's message; labels may change; generation and observedGeneration count
// spec changes.
import t from 'tap';
import type { Pod } from 'kubernetes-types/core/v1';
import { e2e, IMAGE, missingE2e, SERVE } from './e2e-harness';
import { coveredBySubidRun } from '../integration/harness';

const missing = missingE2e() ?? coveredBySubidRun();
if (missing) {
  t.comment(`skip: ${missing}`);
  t.plan(0, missing);
  process.exit(0);
}

const manifest = (image: string, extra = '') => `apiVersion: v1
kind: Pod
metadata:
  name: web
  labels: {app: web${extra}}
spec:
  containers:
  - name: web
    image: ${image}
    command: ${JSON.stringify(SERVE)}
  - name: side
    image: ${IMAGE}
    command: ${JSON.stringify(SERVE)}
`;

const status = (p: Pod | undefined, name: string) => p?.status?.containerStatuses?.find((c) => c.name === name);
const running = (p: Pod) => p.status?.phase === 'Running' && (p.status.containerStatuses ?? []).every((c) => !!c.state?.running);

t.test('apply twice is unchanged; a new image restarts only that container', async (t) => {
  const env = await e2e(t);
  env.ok(['image', 'import', env.rootfs, 'busybox:e2e-v2']);
  const file = env.file('web.yaml', manifest(IMAGE));
  t.equal(env.ok(['apply', '-f', file]), 'pod/web created\n');
  const before = await env.until('web', running, 30_000);
  t.ok(before, 'running');
  t.equal(before?.metadata?.generation, 1, 'generation 1');
  t.equal((before?.status as { observedGeneration?: number } | undefined)?.observedGeneration, 1, 'observedGeneration 1');
  t.equal(env.ok(['apply', '-f', file]), 'pod/web unchanged\n', 'the same manifest again: unchanged (nodeName and defaults are not a change)');

  t.equal(env.ok(['apply', '-f', env.file('web.yaml', manifest('busybox:e2e-v2'))]), 'pod/web configured\n', 'a new image: configured');
  const after = await env.until('web', (p) => status(p, 'web')?.image === 'busybox:e2e-v2' && status(p, 'web')?.restartCount === 1 && running(p), 60_000);
  t.ok(after, 'the web container runs the new image');
  t.equal(status(after, 'web')?.restartCount, 1, 'its restartCount +1');
  t.not(status(after, 'web')?.containerID, status(before, 'web')?.containerID, 'a new containerID');
  t.equal(status(after, 'side')?.restartCount, 0, 'the other container was not touched');
  t.equal(status(after, 'side')?.containerID, status(before, 'side')?.containerID);
  t.equal(after?.metadata?.generation, 2, 'generation 2');
  t.equal((after?.status as { observedGeneration?: number } | undefined)?.observedGeneration, 2);
  const events = env.ok(['get', 'events', '--field-selector', 'involvedObject.name=web']);
  t.match(events, /Killing\s+pod\/web\s+Container web definition changed, will be restarted/, "the kubelet's Killing event");

  t.equal(env.ok(['apply', '-f', env.file('web.yaml', manifest('busybox:e2e-v2', ', tier: front'))]), 'pod/web configured\n', 'a label: configured');
  t.equal(env.pod('web')?.metadata?.labels?.tier, 'front');
  t.equal(env.pod('web')?.metadata?.generation, 2, 'labels are not the spec: generation stays');
});

t.test('a forbidden change is refused with the API server message, and nothing changes', async (t) => {
  const env = await e2e(t);
  env.ok(['apply', '-f', env.file('web.yaml', manifest(IMAGE))]);
  await env.until('web', running, 30_000);
  const changed = manifest(IMAGE).replace('  - name: side', '  - name: side\n    workingDir: /tmp');
  const r = env.run(['apply', '-f', env.file('web.yaml', changed)]);
  t.equal(r.status, 1, 'exit 1');
  t.match(r.stderr, /^error: Pod "web" is invalid: spec: Forbidden: pod updates may not change fields other than `spec.containers\[\*\].image`/m);
  t.equal(env.pod('web')?.spec?.containers[1]?.workingDir, undefined, 'the stored pod is as it was');
});
