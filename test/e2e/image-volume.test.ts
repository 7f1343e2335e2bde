// Image volumes (GA in Kubernetes 1.36) through bin/podrun with defaults only: an image from
// podrun's store mounted read-only, whole or by subPath; an image that cannot be had refuses
// the pod, naming the field.
import * as fs from 'node:fs';
import * as path from 'node:path';
import t from 'tap';
import { e2e, IMAGE, missingE2e, SERVE } from './e2e-harness';

const missing = missingE2e();
if (missing) {
  t.comment(`skip: ${missing}`);
  t.plan(0, missing);
  process.exit(0);
}

t.test('an image mounted read-only, and by subPath', async (t) => {
  const env = await e2e(t);
  const data = path.join(env.dir, 'data-image');
  fs.mkdirSync(path.join(data, 'models'), { recursive: true });
  fs.writeFileSync(path.join(data, 'models/weights.txt'), 'forty-two\n');
  fs.writeFileSync(path.join(data, 'README'), 'a data image\n');
  env.ok(['image', 'import', data, 'data:1']);
  env.ok([
    'apply',
    '-f',
    env.file(
      'v.yaml',
      `apiVersion: v1
kind: Pod
metadata: {name: vol}
spec:
  containers:
  - name: c
    image: ${IMAGE}
    command: ${JSON.stringify(SERVE)}
    volumeMounts:
    - {name: data, mountPath: /data}
    - {name: data, mountPath: /models, subPath: models}
  volumes:
  - name: data
    image: {reference: data:1, pullPolicy: IfNotPresent}
`,
    ),
  ]);
  t.ok(await env.until('vol', (p) => p.status?.phase === 'Running', 30_000), 'Running');
  t.equal(env.ok(['exec', 'vol', '--', 'cat', '/data/README']), 'a data image\n');
  t.equal(env.ok(['exec', 'vol', '--', 'cat', '/models/weights.txt']), 'forty-two\n', 'subPath');
  t.not(env.run(['exec', 'vol', '--', 'touch', '/data/new']).status, 0, 'read-only');

  const r = env.run(['apply', '-f', env.file('m.yaml', `apiVersion: v1\nkind: Pod\nmetadata: {name: nope}\nspec:\n  containers: [{name: c, image: ${IMAGE}}]\n  volumes: [{name: d, image: {reference: not-here:1, pullPolicy: Never}}]\n`)]);
  t.equal(r.status, 1);
  t.match(r.stderr, /spec\.volumes\[0\]\.image\.reference: ErrImageNeverPull/, 'a missing image refuses the pod, naming the field');
  t.equal(env.run(['get', 'pod', 'nope']).status, 1, 'nothing made');
});
