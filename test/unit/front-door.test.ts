// The pure parts of the front door's friction: notices recorded once per root and claimed once,
// the private state root (never through a link), and errors that name the command that fixes them.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import t, { type Test } from 'tap';
import { emitNoticeWarning, noticeId, recordNotice, takeNotices } from '../../src/state/notices';
import { ensurePrivateDir, fallbackRoot, runtimeDirNotice } from '../../src/state/paths';
import { planIdMap } from '../../src/runtime/idmap';

function tmp(t: Test): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'podrun-front-door-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

t.test('a notice is recorded once per root and said once', async (t) => {
  const root = tmp(t);
  t.same(takeNotices(root), [], 'a root without notices has none to say');
  t.equal(recordNotice(root, 'second', 2000), true);
  t.equal(recordNotice(root, 'first', 1000), true);
  t.equal(recordNotice(root, 'first', 3000), false, 'the same text again is not a new notice');
  t.same(
    takeNotices(root).map((n) => n.text),
    ['first', 'second'],
    'said oldest first',
  );
  t.same(takeNotices(root), [], 'a notice said is not said again');
  t.equal(recordNotice(root, 'first'), false, 'a later engine does not raise one said before');
  t.ok(fs.existsSync(path.join(root, 'notices', `${noticeId('first')}.said`)));
  t.equal(fs.statSync(path.join(root, 'notices')).mode & 0o777, 0o700, 'owner-only');
});

t.test('notices are not read through a link or from a folder of another user', async (t) => {
  const dir = tmp(t);
  const real = path.join(dir, 'real');
  fs.mkdirSync(real);
  recordNotice(real, 'planted text');
  const link = path.join(dir, 'link');
  fs.symlinkSync(real, link);
  t.same(takeNotices(link), [], 'the root is a link');
  fs.renameSync(path.join(real, 'notices'), path.join(real, 'elsewhere'));
  fs.symlinkSync(path.join(real, 'elsewhere'), path.join(real, 'notices'));
  t.same(takeNotices(real), [], 'its notices folder is a link');
});

t.test('the Node API says a notice once per process, as a PodrunNotice warning', async (t) => {
  const seen: Error[] = [];
  const on = (w: Error) => seen.push(w);
  process.on('warning', on);
  t.teardown(() => process.off('warning', on));
  emitNoticeWarning('no cgroup here');
  emitNoticeWarning('no cgroup here');
  await new Promise((r) => setImmediate(r));
  t.same(
    seen.map((w) => [w.name, w.message]),
    [['PodrunNotice', 'no cgroup here']],
  );
});

t.test('the state root: made 0700, a link or a folder that is not one refused with the fix', async (t) => {
  const dir = tmp(t);
  const root = path.join(dir, 'a', 'root');
  ensurePrivateDir(root, {});
  t.equal(fs.lstatSync(root).mode & 0o777, 0o700);
  fs.chmodSync(root, 0o755);
  ensurePrivateDir(root, {});
  t.equal(fs.lstatSync(root).mode & 0o777, 0o700, 'made private again');
  const target = path.join(dir, 'target');
  fs.mkdirSync(target, { mode: 0o700 });
  const link = path.join(dir, 'link');
  fs.symlinkSync(target, link);
  t.throws(() => ensurePrivateDir(link, {}), { code: 'Conflict', message: /is a symbolic link .*podrun does not follow it/, hint: /--root/ });
  const file = path.join(dir, 'file');
  fs.writeFileSync(file, '');
  t.throws(() => ensurePrivateDir(file, {}), { message: /exists and is not a folder/ });
  t.throws(() => ensurePrivateDir(path.join(dir, 'gone', 'podrun'), { XDG_RUNTIME_DIR: path.join(dir, 'gone') }), {
    code: 'NotFound',
    message: /XDG_RUNTIME_DIR .*gone does not exist/,
    hint: /loginctl enable-linger .*--root/,
  });
  t.notOk(fs.existsSync(path.join(dir, 'gone')), 'a session\'s runtime dir is not made by podrun');
});

t.test('the root in the temp dir: a notice without XDG_RUNTIME_DIR, the fix in its errors', { skip: process.getuid?.() === 0 && 'root has /run/podrun' }, async (t) => {
  const fb = fallbackRoot();
  t.equal(fb, path.join(os.tmpdir(), `podrun-${process.getuid!()}`));
  t.match(runtimeDirNotice(fb, {}), /^XDG_RUNTIME_DIR is not set: .*set XDG_RUNTIME_DIR=\/run\/user\/\d+ .*loginctl enable-linger .*--root$/);
  t.equal(runtimeDirNotice(fb, { XDG_RUNTIME_DIR: '/run/user/1' }), undefined);
  t.equal(runtimeDirNotice('/elsewhere', {}), undefined);
});

t.test('the id map says the commands that give a user its subordinate ids', async (t) => {
  const base = { mode: 'auto' as const, uid: 1500, gid: 1500, user: 'u', helpers: true, subuid: undefined, subgid: undefined };
  t.match(planIdMap(base).notice, "(as root: 'usermod --add-subuids 100000-165535 --add-subgids 100000-165535 u')");
  t.match(planIdMap({ ...base, helpers: false }).notice, "as root: 'apt-get install uidmap'");
  t.match(planIdMap({ ...base, hasEntry: false }).notice, "uid 1500 has no entry in /etc/passwd, so no range in /etc/subuid and /etc/subgid names it (as root: 'useradd -u 1500 NAME'");
  t.throws(() => planIdMap({ ...base, mode: 'subid' }), { message: /usermod --add-subuids/, hint: /idMapping single/ });
});
