// What containers of one pod share and what each keeps to itself (DESIGN §2): one hostname,
// one net/ipc/uts namespace, the volumes; a mount namespace each, a PID namespace each unless
// shareProcessNamespace (or hostPID: the host's); and the hardening every container gets (no_new_privs, default
// capabilities, masked /proc paths, read-only /sys, no inherited descriptors).
import t from 'tap';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import { execOut, IMAGE, isRunning, missingBusybox, missingFeature, payload, pod, setup, waitLogs, type Env } from './harness';

const missing = missingFeature() ?? missingBusybox();
if (missing) {
  t.comment(`skip: ${missing}`);
  t.plan(0, missing);
  process.exit(0);
}

function nsMap(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.trim().split('\n')) {
    const [k, v] = line.split(' ');
    if (k && v) out[k] = v;
  }
  return out;
}

function cmdline(pid: string): string | undefined {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return undefined;
  }
}

function ownNs(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const n of ['net', 'ipc', 'uts', 'mnt', 'pid']) out[n] = String(fs.statSync(`/proc/self/ns/${n}`).ino);
  return out;
}

async function twoSleepers(env: Env, name: string, share: boolean, extra: { volumes?: unknown[]; mounts?: unknown[] } = {}) {
  await env.podrun.createPod(
    pod(name, {
      shareProcessNamespace: share,
      volumes: (extra.volumes as never) ?? [{ name: 'shared', emptyDir: {} }],
      containers: [
        { ...payload('a', 'sleep', '3600'), volumeMounts: (extra.mounts as never) ?? [{ name: 'shared', mountPath: '/shared' }] },
        { ...payload('b', 'sleep', '3600'), volumeMounts: [{ name: 'shared', mountPath: '/shared' }] },
      ],
    }),
  );
  return env.podrun.waitFor(name, isRunning, { timeoutMs: 20_000 });
}

t.test('two containers share net, ipc, uts and the hostname; not mnt or pid', async (t) => {
  const env = await setup(t);
  // Both keep running while compared: a namespace's inode number is reused once it is freed.
  await env.podrun.createPod(
    pod('twins', {
      containers: [payload('a', 'hostname', '--then', 'ns', '--then', 'sleep', '3600'), payload('b', 'hostname', '--then', 'ns', '--then', 'sleep', '3600')],
    }),
  );
  await env.podrun.waitFor('twins', isRunning, { timeoutMs: 20_000 });
  const a = await waitLogs(env.podrun, 'twins', 'a', (l) => l.some((x) => x.startsWith('cgroup') || x.startsWith('user')) && l.length >= 6);
  const b = await waitLogs(env.podrun, 'twins', 'b', (l) => l.some((x) => x.startsWith('cgroup') || x.startsWith('user')) && l.length >= 6);
  t.equal(a[0], 'twins', 'container a: the hostname is the pod name');
  t.equal(b[0], 'twins', 'container b: the hostname is the pod name');
  const na = nsMap(a.slice(1).join('\n'));
  const nb = nsMap(b.slice(1).join('\n'));
  const self = ownNs();
  for (const n of ['net', 'ipc', 'uts']) {
    t.ok(na[n], `${n} inode reported`);
    t.equal(na[n], nb[n], `${n} namespace shared by the two containers`);
    t.not(na[n], self[n], `${n} namespace differs from the test process's`);
  }
  t.not(na.mnt, nb.mnt, 'each container has its own mount namespace');
  t.not(na.mnt, self.mnt, 'and not the host one');
  t.not(na.pid, nb.pid, 'each container has its own PID namespace without shareProcessNamespace');
  t.not(na.pid, self.pid, 'and not the host one');
  // exec enters the same namespaces as the container's process
  const viaExec = nsMap((await execOut(env.podrun, 'twins', ['/payload', 'ns'], { container: 'a' })).stdout);
  t.same({ ...viaExec, cgroup: undefined }, { ...na, cgroup: undefined }, 'exec sees the same namespaces as container a');
});

t.test('shareProcessNamespace: one PID namespace, each sees the other', async (t) => {
  const env = await setup(t);
  await env.podrun.createPod(
    pod('shared-pid', {
      shareProcessNamespace: true,
      containers: [payload('a', 'sleep', '3600'), { name: 'b', image: IMAGE, command: ['/bin/sleep', '3601'] }],
    }),
  );
  await env.podrun.waitFor('shared-pid', isRunning, { timeoutMs: 20_000 });
  const nsA = nsMap((await execOut(env.podrun, 'shared-pid', ['/payload', 'ns'], { container: 'a' })).stdout);
  const nsB = nsMap((await execOut(env.podrun, 'shared-pid', ['/payload', 'ns'], { container: 'b' })).stdout);
  t.equal(nsA.pid, nsB.pid, 'the PID namespace is shared');
  t.not(nsA.mnt, nsB.mnt, 'mount namespaces still differ');
  const pids = (await execOut(env.podrun, 'shared-pid', ['/payload', 'pids'], { container: 'a' })).stdout.trim().split('\n');
  const cmdlines: string[] = [];
  for (const p of pids) {
    const r = await execOut(env.podrun, 'shared-pid', ['/payload', 'cat', `/proc/${p}/cmdline`], { container: 'a' });
    if (r.exitCode === 0) cmdlines.push(r.stdout.replace(/\0/g, ' ').trim());
  }
  t.ok(cmdlines.includes('/bin/sleep 3601'), `container a sees container b's process (${JSON.stringify(cmdlines)})`);
  t.ok(cmdlines.includes('/payload sleep 3600'), 'and its own');
});

t.test("hostPID: the host's PID namespace (rootless: the host's /proc bound); what a container leaves behind ends with the pod, nothing else does", async (t) => {
  const env = await setup(t);
  const spec = pod('host-pid', {
    hostPID: true,
    terminationGracePeriodSeconds: 0,
    // A daemon (its parent gone at once) that outlives the container's main process.
    containers: [{ name: 'a', image: IMAGE, command: ['/bin/sh', '-c', '(/bin/sleep 4244 &) ; exec /bin/sleep 3600'] }],
  });
  // A process of the host's that the pod must not touch.
  const bystander = spawn('/bin/sleep', ['4245'], { stdio: 'ignore' });
  t.teardown(() => void bystander.kill('SIGKILL'));
  await env.podrun.createPod(spec);
  await env.podrun.waitFor('host-pid', isRunning, { timeoutMs: 20_000 });
  const seen = await execOut(env.podrun, 'host-pid', ['/bin/cat', `/proc/${bystander.pid}/cmdline`], { container: 'a' });
  t.equal(seen.stdout.replace(/\0/g, ' ').trim(), '/bin/sleep 4245', `the container sees the host's processes (${seen.stderr})`);
  t.equal((await execOut(env.podrun, 'host-pid', ['/bin/readlink', '/proc/self/ns/pid'], { container: 'a' })).stdout.trim(), fs.readlinkSync('/proc/self/ns/pid'), "in the host's PID namespace");
  // This kernel has neither /proc/kcore nor /proc/sysrq-trigger: timer_list (root-only on the host) and sys stand in.
  const masked = await execOut(env.podrun, 'host-pid', ['/bin/sh', '-c', 'wc -c < /proc/timer_list; echo podrun > /proc/sys/kernel/domainname && echo wrote'], { container: 'a' });
  t.equal(masked.stdout.trim(), '0', `/proc/timer_list masked (/dev/null), as in a new /proc (${masked.stderr.trim()})`);
  t.match(masked.stderr, /Read-only file system/, '/proc/sys read-only');
  const daemons = () => fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p) && cmdline(p) === '/bin/sleep\x004244\x00');
  t.equal(daemons().length, 1, 'the daemon runs');
  await env.podrun.deletePod('host-pid', { gracePeriodSeconds: 0 });
  t.same(daemons(), [], 'deleting the pod ended the daemon it left behind');
  t.equal(bystander.exitCode, null, "and nothing of the host's");
  t.ok(fs.existsSync(`/proc/${bystander.pid}`), 'the bystander still runs');
});

t.test('volumes: emptyDir shared between containers; readOnly hostPath refuses writes', async (t) => {
  const env = await setup(t);
  const host = path.join(env.scratch, 'hostdir');
  fs.mkdirSync(host, { mode: 0o755 });
  fs.writeFileSync(path.join(host, 'given'), 'from the host\n');
  await twoSleepers(env, 'vols', false, {
    volumes: [
      { name: 'shared', emptyDir: {} },
      { name: 'ro', hostPath: { path: host, type: 'Directory' } },
    ],
    mounts: [
      { name: 'shared', mountPath: '/shared' },
      { name: 'ro', mountPath: '/ro', readOnly: true },
    ],
  });
  const w = await execOut(env.podrun, 'vols', ['/payload', 'write', '/shared/note', 'hello from a'], { container: 'a' });
  t.equal(w.exitCode, 0, 'a writes to the emptyDir');
  const r = await execOut(env.podrun, 'vols', ['/payload', 'cat', '/shared/note'], { container: 'b' });
  t.equal(r.stdout, 'hello from a', 'b reads what a wrote');
  const given = await execOut(env.podrun, 'vols', ['/payload', 'cat', '/ro/given'], { container: 'a' });
  t.equal(given.stdout, 'from the host\n', 'the hostPath is readable');
  const refused = await execOut(env.podrun, 'vols', ['/payload', 'write', '/ro/new', 'x'], { container: 'a' });
  t.not(refused.exitCode, 0, 'writing to the readOnly hostPath fails');
  t.match(refused.stderr, /Read-only file system/, 'with EROFS');
  t.notOk(fs.existsSync(path.join(host, 'new')), 'and nothing reached the host');
});

t.test('hardening: no_new_privs, default capabilities, host invisible, masked /proc, read-only /sys, fds 0-2', async (t) => {
  const env = await setup(t);
  // Masked paths that exist on this host (a kernel without CONFIG_PROC_KCORE has no /proc/kcore).
  const masked = ['/proc/kcore', '/proc/keys', '/proc/timer_list'].filter((f) => fs.existsSync(f));
  if (!fs.existsSync('/proc/kcore')) t.comment('this kernel has no /proc/kcore; checking the other masked paths');
  await env.podrun.createPod(
    pod('hard', {
      restartPolicy: 'Never',
      containers: [
        payload('c', 'status', 'NoNewPrivs', '--then', 'status', 'CapEff', '--then', 'fds', '--then', 'echo', 'PIDS', '--then', 'pids', '--then', 'echo', 'END'),
        {
          name: 'sh',
          image: IMAGE,
          command: [
            '/bin/sh',
            '-c',
            `touch /sys/x; echo rc=$?
for f in ${masked.join(' ')}; do echo "masked $f $(stat -c '%F %t:%T' $f) size=$(cat $f | wc -c)"; done
for p in /proc/[0-9]*; do echo "cmdline $(tr '\\0' ' ' < $p/cmdline)"; done
echo END`,
          ],
        },
      ],
    }),
  );
  const done = await env.podrun.waitFor('hard', (p) => p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed', { timeoutMs: 20_000 });
  t.equal(done.status?.phase, 'Succeeded', 'both containers exit 0');
  const lines = await waitLogs(env.podrun, 'hard', 'c', (l) => l.includes('END'));
  t.ok(lines.includes('NoNewPrivs:\t1'), 'NoNewPrivs is set');
  t.ok(lines.includes('CapEff:\t00000000a80425fb'), `root in the container has the default capability set (${lines[1]})`);
  const fdsEnd = lines.indexOf('PIDS');
  t.same(lines.slice(2, fdsEnd), ['0', '1', '2'], 'only fds 0, 1, 2 are open');
  const pids = lines.slice(fdsEnd + 1, lines.indexOf('END')).map(Number);
  t.ok(pids.includes(1), `the container's pid list contains 1 (${pids.join(',')})`);
  t.ok(pids.length <= 3, 'and is small: host processes are invisible');
  t.notOk(pids.includes(process.pid) && process.pid > 3, "the test runner's pid is not listed");

  const sh = await waitLogs(env.podrun, 'hard', 'sh', (l) => l.includes('END'));
  t.match(sh.join('\n'), /touch: \/sys\/x: Read-only file system/, '/sys is read-only');
  t.ok(sh.includes('rc=1'), 'the write to /sys fails');
  for (const f of masked) t.ok(sh.includes(`masked ${f} character special file 1:3 size=0`), `${f} is /dev/null in the container`);
  const cmdlines = sh.filter((l) => l.startsWith('cmdline ')).map((l) => l.slice(8));
  t.ok(cmdlines.length >= 1 && cmdlines.length <= 3, `few processes visible (${JSON.stringify(cmdlines)})`);
  const runner = fs.readFileSync('/proc/self/cmdline', 'utf8').replace(/\0/g, ' ').trim();
  t.notOk(cmdlines.some((c) => c.trim() === runner || /node|tap/.test(c)), 'no visible process is the test runner');
});
