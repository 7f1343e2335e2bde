// The state root's layout: private, and its pods folder marked for ext4's Orlov allocator
// (chattr +T) where the filesystem takes the hint, so that pod folders spread over block groups.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import t from 'tap';
import { native } from '../../src/native';
import { StateRoot } from '../../src/state/paths';

t.test('init: a private root; the pods folder carries the top-directory hint where it can', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'podrun-root-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const root = new StateRoot(path.join(dir, 'root'));
  root.init();
  t.equal(fs.statSync(root.dir).mode & 0o777, 0o700, 'owner-only');
  t.ok(fs.statSync(root.podsDir).isDirectory());
  // Whether this filesystem takes the hint, learnt on another folder: pods/ is init's alone.
  const probe = path.join(dir, 'probe');
  fs.mkdirSync(probe);
  const taken = native.markTopDir(probe);
  const lsattr = spawnSync('lsattr', ['-d', root.podsDir], { encoding: 'utf8' });
  if (!taken || lsattr.status !== 0) {
    t.comment(`this filesystem takes no top-directory hint (${lsattr.stderr.trim() || 'markTopDir: false'})`);
    return;
  }
  t.match(lsattr.stdout.split(/\s/)[0], /T/, 'chattr +T on pods/');
  root.init();
  t.match(spawnSync('lsattr', ['-d', root.podsDir], { encoding: 'utf8' }).stdout.split(/\s/)[0], /T/, 'and again on a second init (idempotent)');
});
