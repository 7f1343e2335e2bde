// The front door as a new user meets it, through bin/podrun with defaults only: what the machine
// lacks is said on the terminal of the command that triggered it, once (not by later commands,
// not by a later serve); the state root without XDG_RUNTIME_DIR is made private in the temp dir
// and one planted there by someone else is refused, never followed; errors name the fix.
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import t from 'tap';
import { Podrun } from '../../src/podrun';
import { limitsSupport } from '../../src/kubelet/cgroups';
import { tunUnusable } from '../../src/network/pasta';
import { which } from '../../src/which';
import { asRoot, buildBusyboxRootfs, isRunning, payload, pod, readOr, sleep, tempDir } from './harness';
import { CLI, endRoot, missingCli, servePids, signalServes } from './cli-harness';
import { e2e, podYaml, SERVE } from '../e2e/e2e-harness';

const missing = missingCli();
if (missing) {
  t.comment(`skip: ${missing}`);
  t.plan(0, missing);
  process.exit(0);
}

/** Whether this process's user has enforced limits here (podrun's own check, from the machine's files). */
const limitsEnforced = limitsSupport().available;
/** Rootless pods have an outbound notice where pasta cannot run (/dev/net/tun not usable, as in CI's rootless runs). */
const outboundNotice = !asRoot && (tunUnusable() !== undefined || !which('pasta'));

const warnings = (r: SpawnSyncReturns<string>) => r.stderr.split('\n').filter((l) => l.startsWith('Warning: '));
const LIMITS = /^Warning: resource limits are not enforced: .*; requests and limits still set qosClass and resourceFieldRef values$/;
const OUTBOUND = /^Warning: rootless pods have no outbound network/;

/** A pod of the e2e image that asks for a memory limit. */
const limitedPod = (name: string) => podYaml(name, { c: SERVE }, '', '    resources:\n      limits:\n        memory: 64Mi\n');

async function stopServe(root: string): Promise<void> {
  signalServes(root, 'SIGTERM');
  for (let i = 0; i < 200 && servePids(root).length; i++) await sleep(25);
}

t.test('notices: said once, by the command that triggered them, not again by a later serve', async (t) => {
  if (limitsEnforced && !outboundNotice) return t.skip('root with cgroup v2 limits here: nothing is missing, so there is no notice to say');
  const env = await e2e(t);
  const said: string[] = [];

  // A Deployment: its pod is made by the controllers after apply has answered. Whatever that pod
  // raises (rootless: the outbound network) is said by a command that comes after, once.
  const deploy = [
    'apiVersion: apps/v1',
    'kind: Deployment',
    'metadata:\n  name: dep',
    'spec:\n  replicas: 1\n  selector:\n    matchLabels:\n      app: dep',
    '  template:\n    metadata:\n      labels:\n        app: dep',
    `    spec:\n      terminationGracePeriodSeconds: 1\n      containers:\n      - name: c\n        image: busybox:e2e\n        command: ${JSON.stringify(SERVE)}`,
  ].join('\n');
  const applied = env.run(['apply', '-f', env.file('dep.yaml', deploy)]);
  t.equal(applied.status, 0, applied.stderr);
  said.push(...warnings(applied));
  const waited = env.run(['wait', '--for=condition=available', 'deploy/dep', '--timeout=60s']);
  t.equal(waited.status, 0, waited.stderr);
  said.push(...warnings(waited));
  const got = env.run(['get', 'pods']);
  said.push(...warnings(got));
  if (outboundNotice) t.equal(said.filter((l) => OUTBOUND.test(l)).length, 1, `the outbound notice once, after the pod started: ${said.join(' | ')}`);
  t.equal(said.filter((l) => LIMITS.test(l)).length, 0, 'no limits notice for a template without resources');

  // A pod with a memory limit: known at admission, said by apply itself, before its line.
  const first = env.run(['apply', '-f', env.file('a.yaml', limitedPod('a'))]);
  t.equal(first.status, 0, first.stderr);
  t.equal(first.stdout, 'pod/a created\n');
  const firstWarnings = warnings(first);
  if (limitsEnforced) t.same(firstWarnings, [], 'limits are enforced for this user: nothing to say');
  else {
    t.equal(firstWarnings.length, 1, first.stderr);
    t.match(firstWarnings[0], LIMITS);
  }
  t.same(warnings(env.run(['get', 'pods'])), [], 'a later command does not say it again');

  // A new serve: it knows the root has said these.
  await stopServe(env.root);
  const again = env.run(['get', 'pods']);
  t.equal(again.status, 0, again.stderr);
  t.same(warnings(again), [], 'the next serve says nothing said before');
  const second = env.run(['apply', '-f', env.file('b.yaml', limitedPod('b'))]);
  t.equal(second.status, 0, second.stderr);
  t.same(warnings(second), [], 'another pod with limits: said once per root, not per pod');
  t.match(readOr(path.join(env.root, 'serve.log')), /notice: /, 'serve.log keeps them too');
});

t.test('the Node API says a notice as a PodrunNotice process warning, once', async (t) => {
  if (limitsEnforced) return t.skip('limits are enforced for this user: no notice to raise');
  const dir = tempDir(t, 'podrun-front-door-');
  const seen: Error[] = [];
  const onWarning = (w: Error) => {
    if (w.name === 'PodrunNotice') seen.push(w);
  };
  process.on('warning', onWarning);
  t.teardown(() => process.off('warning', onWarning));
  const podrun = new Podrun({ root: path.join(dir, 'state'), dataRoot: path.join(dir, 'data') });
  t.teardown(async () => {
    for (const p of await podrun.listPods()) await podrun.deletePod(p.metadata!.name!, { gracePeriodSeconds: 0 });
    await podrun.close();
  });
  await podrun.images.importImage(buildBusyboxRootfs(dir), 'busybox:test');
  await podrun.createPod(pod('lim', { containers: [{ ...payload('c', 'sleep', '600'), resources: { limits: { memory: '64Mi' } } }] }));
  await podrun.waitFor('lim', isRunning, { timeoutMs: 30_000 });
  await new Promise((r) => setImmediate(r)); // warnings are emitted on the next tick
  const limits = seen.filter((w) => /^resource limits are not enforced: /.test(w.message));
  t.equal(limits.length, 1, 'said when the pod was created');
  t.same(readdirOr(path.join(dir, 'state', 'notices')).filter((n) => n.endsWith('.json')), [], 'every notice raised is marked said');
});

function readdirOr(dir: string): string[] {
  try {
    return fs.readdirSync(dir);
  } catch {
    return [];
  }
}

/**
 * The user the XDG tests run podrun as: podruntest (uid 1500) when this process is root, so that
 * root can plant a link and a folder of its own where that user's root would go; else this user.
 */
function testUser(): { uid: number; gid: number; name: string } | undefined {
  if (!asRoot) return { uid: process.getuid!(), gid: process.getgid!(), name: os.userInfo().username };
  const r = spawnSync('id', ['-u', 'podruntest'], { encoding: 'utf8' });
  if (r.status !== 0) return undefined;
  return { uid: Number(r.stdout.trim()), gid: Number(spawnSync('id', ['-g', 'podruntest'], { encoding: 'utf8' }).stdout.trim()), name: 'podruntest' };
}

/** bin/podrun as `user`, with the environment of a su shell: no XDG_RUNTIME_DIR, no PODRUN_*. */
function runAs(user: { uid: number; gid: number; name: string }, env: NodeJS.ProcessEnv, args: string[]): SpawnSyncReturns<string> {
  const base = { PATH: '/usr/bin:/bin:/usr/sbin:/sbin', HOME: asRoot ? '/home/podruntest' : (process.env.HOME ?? '/'), ...env };
  if (!asRoot) return spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: base, timeout: 60_000 });
  const envArgs = Object.entries(base).map(([k, v]) => `${k}=${v}`);
  return spawnSync('setpriv', [`--reuid=${user.uid}`, `--regid=${user.gid}`, '--init-groups', '--reset-env', 'env', ...envArgs, process.execPath, CLI, ...args], { encoding: 'utf8', timeout: 60_000 });
}

t.test('XDG_RUNTIME_DIR unset: a private root in the temp dir, a planted one refused with the fix', async (t) => {
  const user = testUser();
  if (!user) return t.skip('needs the unprivileged test user podruntest');
  const dir = tempDir(t, 'podrun-front-door-');
  // The temp dir as /tmp is: anyone may make entries in it.
  const tmp = path.join(dir, 'tmp');
  fs.mkdirSync(tmp);
  fs.chmodSync(tmp, 0o1777);
  const data = path.join(dir, 'data');
  fs.mkdirSync(data, { mode: 0o700 });
  fs.chownSync(data, user.uid, user.gid);
  const root = path.join(tmp, `podrun-${user.uid}`);
  const env = { TMPDIR: tmp };
  const podrun = (...args: string[]) => runAs(user, env, ['--data-root', data, ...args]);
  t.teardown(() => endRoot(root, (args) => podrun(...args)));
  const FIX = `set XDG_RUNTIME_DIR=/run/user/${user.uid} (a login session makes it; for su and cron, run 'loginctl enable-linger ${user.name}' as root once), or choose a folder with --root`;

  // A link planted where the root would go (by root: another user), to a folder it could watch.
  const elsewhere = path.join(dir, 'elsewhere');
  fs.mkdirSync(elsewhere, { mode: 0o777 });
  fs.chmodSync(elsewhere, 0o777);
  fs.symlinkSync(elsewhere, root);
  let r = podrun('get', 'pods');
  t.equal(r.status, 1, 'refused');
  const [line, hint] = r.stderr.trim().split('\n');
  t.equal(line, `error: ${root} is a symbolic link (owned by uid ${asRoot ? 0 : user.uid}), not a folder: podrun does not follow it`);
  t.equal(hint, FIX, 'the error names the fix');
  t.same(fs.readdirSync(elsewhere), [], 'nothing made where the link points');
  t.equal(servePids(root).length, 0, 'no serve started');
  fs.unlinkSync(root);

  if (asRoot) {
    // A folder of another user's (root's here), open to all.
    fs.mkdirSync(root, { mode: 0o777 });
    fs.chmodSync(root, 0o777);
    r = podrun('get', 'pods');
    t.equal(r.status, 1);
    t.equal(r.stderr.split('\n')[0], `error: ${root} belongs to uid 0, not to this user (${user.uid})`);
    t.equal(r.stderr.split('\n')[1], FIX);
    t.same(fs.readdirSync(root), []);
    fs.rmdirSync(root);
  } else t.comment('a folder of another user: planting one needs root');

  // Nothing there: made 0700, and the notice said once.
  r = podrun('get', 'pods');
  t.equal(r.status, 0, r.stderr);
  const st = fs.lstatSync(root);
  t.ok(st.isDirectory() && !st.isSymbolicLink());
  t.equal(st.uid, user.uid);
  t.equal(st.mode & 0o777, 0o700);
  t.same(r.stderr.split('\n').filter(Boolean), ['No resources found in default namespace.', `Warning: XDG_RUNTIME_DIR is not set: podrun keeps its state in ${root} (in the temp dir); ${FIX}`]);
  t.same(warnings(podrun('get', 'pods')), [], 'said once');

  // A runtime dir that is gone (su keeps the variable of a session that ended).
  r = runAs(user, { ...env, XDG_RUNTIME_DIR: path.join(dir, 'run-user-gone') }, ['--data-root', data, 'get', 'pods']);
  t.equal(r.status, 1);
  t.same(r.stderr.trim().split('\n'), [
    `error: XDG_RUNTIME_DIR ${path.join(dir, 'run-user-gone')} does not exist (its login session has ended)`,
    `run 'loginctl enable-linger ${user.name}' as root to keep it, unset XDG_RUNTIME_DIR, or choose a folder with --root`,
  ]);
});

t.test('a data root that cannot be made: the error names the fix', async (t) => {
  const user = testUser();
  if (!user) return t.skip('needs the unprivileged test user podruntest');
  const dir = tempDir(t, 'podrun-front-door-');
  // A HOME this user cannot write (su without -, a service user's /nonexistent).
  const home = path.join(dir, 'home-not-mine');
  fs.mkdirSync(home, { mode: 0o555 });
  fs.chmodSync(home, 0o555);
  const r = runAs(user, { HOME: home, XDG_RUNTIME_DIR: '', TMPDIR: dir }, ['image', 'import', dir, 'x:1']);
  t.equal(r.status, 1);
  t.same(r.stderr.trim().split('\n'), [`error: mkdir \`${home}/.local/share/podrun/images\`: EACCES`, 'set XDG_DATA_HOME (or HOME) to a folder of yours, or choose one with --data-root']);
});

t.test('no subordinate id range: the notice names the usermod command that adds one', async (t) => {
  if (!asRoot) return t.skip('runs podrun as nobody, which has no /etc/subuid range: needs root');
  if (/^nobody:/m.test(readOr('/etc/subuid'))) return t.skip('nobody has a subordinate id range here');
  const nobody = { uid: 65534, gid: 65534, name: 'nobody' };
  const dir = tempDir(t, 'podrun-front-door-');
  const base = path.join(dir, 'nobody');
  fs.mkdirSync(base, { mode: 0o700 });
  fs.chownSync(base, nobody.uid, nobody.gid);
  const rootfs = buildBusyboxRootfs(dir);
  const root = path.join(base, 'state');
  const run = (args: string[], input?: string) =>
    spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', '--reset-env', 'env', 'PATH=/usr/bin:/bin', 'HOME=/nonexistent', process.execPath, CLI, '--root', root, '--data-root', path.join(base, 'data'), ...args], { encoding: 'utf8', input, timeout: 60_000 });
  t.teardown(() => endRoot(root, run));
  t.equal(run(['image', 'import', rootfs, 'busybox:e2e']).status, 0);
  const r = run(['apply', '-f', '-'], podYaml('ids', { c: SERVE }));
  t.equal(r.status, 0, r.stderr);
  t.equal(r.stdout, 'pod/ids created\n');
  t.equal(
    warnings(r).filter((l) => l.includes('/etc/subuid'))[0],
    "Warning: no range for nobody in /etc/subuid and /etc/subgid (as root: 'usermod --add-subuids 100000-165535 --add-subgids 100000-165535 nobody'): rootless pods map only uid 65534 (as root); runAsUser other than 0 and supplementary groups need the full subordinate id range",
  );
  t.same(warnings(run(['get', 'pods'])), [], 'said once');
});
