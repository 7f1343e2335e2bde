// Bad manifests are refused with one line naming the object and the field, and nothing of them
// is created; the good objects of the same apply are applied, as kubectl applies each on its own.
import t from 'tap';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ApplyError } from '../../src/errors';
import { missingBusybox, missingFeature, setup } from './harness';
import { BAD_CASES, good } from './fixtures/bad-manifests';

const missing = missingFeature() ?? missingBusybox();
if (missing) {
  t.comment(`skip: ${missing}`);
  t.plan(0, missing);
  process.exit(0);
}

t.test('a bad manifest names the object and the field; nothing of it is created, the good one beside it is', async (t) => {
  const env = await setup(t);
  for (const c of BAD_CASES) {
    // The bad pod comes after a good one in the same apply: the good one is applied all the same.
    const err = await env.podrun.apply(`${good}---\n${c.yaml}`, { source: 'bad.yaml' }).then(
      () => undefined,
      (e: ApplyError) => e,
    );
    t.ok(err instanceof ApplyError, `${c.what}: apply fails`);
    t.match(err?.message ?? '', /^Pod "bad" is invalid: /, `${c.what}: the error names the object`);
    t.match(err?.message ?? '', c.field, `${c.what}: the error names the field (${err?.message})`);
    t.notMatch(err?.message ?? '', /\n/, `${c.what}: the error is one line`);
    t.same(
      err?.results.map((r) => `${r.name} ${r.action}`),
      [c === BAD_CASES[0] ? 'fine created' : 'fine unchanged', 'bad failed'],
      `${c.what}: one outcome per object`,
    );
    t.same((await env.podrun.listPods()).map((p) => p.metadata?.name), ['fine'], `${c.what}: only the good pod exists`);
    t.equal(fs.readdirSync(path.join(env.root, 'pods')).length, 1, `${c.what}: one folder under pods/`);
  }
  await env.podrun.deletePod('fine', { gracePeriodSeconds: 0 });
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
