// Bad manifests are refused with one line naming the field, and nothing is created: no pod,
// no folder under pods/, not even for the good pods of the same apply.
import t from 'tap';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { missingBusybox, missingFeature, setup } from './harness';
import { BAD_CASES, good } from './fixtures/bad-manifests';

const missing = missingFeature() ?? missingBusybox();
if (missing) {
  t.comment(`skip: ${missing}`);
  t.plan(0, missing);
  process.exit(0);
}

t.test('a bad manifest names the field, and nothing is created', async (t) => {
  const env = await setup(t);
  for (const c of BAD_CASES) {
    // The bad pod comes after a good one in the same apply: the good one must not be created either.
    const err = await env.podrun.apply(`${good}---\n${c.yaml}`, { source: 'bad.yaml' }).then(
      () => undefined,
      (e: Error) => e,
    );
    t.ok(err, `${c.what}: apply fails`);
    t.match(err?.message ?? '', c.field, `${c.what}: the error names the field (${err?.message})`);
    t.notMatch(err?.message ?? '', /\n/, `${c.what}: the error is one line`);
    t.same(await env.podrun.listPods(), [], `${c.what}: listPods is empty`);
    t.same(fs.readdirSync(path.join(env.root, 'pods')), [], `${c.what}: pods/ is empty`);
  }
  // createPod with the same kinds of input
  const err = await env.podrun
    .createPod({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'x' }, spec: { containers: [{ name: 'a', image: 'busybox:test' }, { name: 'a', image: 'busybox:test' }] } })
    .then(
      () => undefined,
      (e: Error) => e,
    );
  t.match(err?.message ?? '', /spec\.containers\[1\]\.name: Duplicate value/, 'createPod refuses a duplicate name too');
  t.same(fs.readdirSync(path.join(env.root, 'pods')), [], 'and creates nothing');
});
