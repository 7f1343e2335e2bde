// What podrun removes from Node (a pod whose shim is gone, a probe's scratch folder, `system
// reset`) goes entirely, rootless too: overlayfs leaves its workdir's `work` mode 000, and a
// volatile mount leaves `incompat/volatile` inside it, which not even their owner may list.
// A symbolic link in the tree is removed, never followed.
import * as fs from 'node:fs';
import * as path from 'node:path';
import t from 'tap';
import { removeTree } from '../../src/state/remove-tree';
import { missingBusybox, missingFeature, payload, pod, podPaths, setup, tempDir } from './harness';

t.test('folders their owner may not list are opened and removed; links are not followed', async (t) => {
  const dir = tempDir(t, 'podrun-rmtree-');
  const tree = path.join(dir, 'tree');
  fs.mkdirSync(path.join(tree, 'work', 'incompat', 'volatile'), { recursive: true });
  fs.writeFileSync(path.join(tree, 'work', 'incompat', 'volatile', 'dirty'), '', { mode: 0 });
  const outside = path.join(dir, 'outside');
  fs.mkdirSync(outside, { mode: 0o500 });
  fs.symlinkSync(outside, path.join(tree, 'work', 'link'));
  fs.chmodSync(path.join(tree, 'work', 'incompat', 'volatile'), 0);
  fs.chmodSync(path.join(tree, 'work', 'incompat'), 0);
  fs.chmodSync(path.join(tree, 'work'), 0);
  removeTree(tree);
  t.notOk(fs.existsSync(tree), 'the tree is gone');
  t.equal(fs.statSync(outside).mode & 0o777, 0o500, 'what a link pointed to is untouched');
});

const missing = missingFeature() ?? missingBusybox();
t.test('a pod on image layers whose shim was killed is deleted entirely', { skip: missing ?? false }, async (t) => {
  const env = await setup(t, { image: true });
  const { podrun } = env;
  const created = await podrun.createPod(pod('gone', { restartPolicy: 'Never', terminationGracePeriodSeconds: 0, containers: [payload('c', 'sleep', '600')] }));
  await podrun.waitFor('gone', (p) => !!p.status?.containerStatuses?.[0]?.state?.running, { timeoutMs: 30_000 });
  const paths = podPaths(env, created);
  const sandbox = JSON.parse(fs.readFileSync(paths.sandbox, 'utf8')) as { pid: number };
  process.kill(sandbox.pid, 'SIGKILL');
  await podrun.waitFor('gone', (p) => p.status?.phase === 'Failed', { timeoutMs: 30_000 });
  await podrun.deletePod('gone', { gracePeriodSeconds: 0 });
  t.notOk(fs.existsSync(paths.dir), 'its folder is gone, the container layer with it');
});
