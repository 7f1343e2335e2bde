// The escape suite, part one: from inside containers made through bin/podrun with defaults only,
// real attempts at what lets a process out of a container (new namespaces, mounts, device
// nodes, keyrings, io_uring, bpf, perf, userfaultfd, file handles, /proc and /sys writes and
// reads, setuid, other containers' and the shim's processes). Each denied attempt has a twin
// under Unconfined, an added capability or privileged that must succeed, so every case can fail.
// Three pods: `jail` (defaults), `free` (shared pid namespace; container a Unconfined with
// SYS_ADMIN, SYS_PTRACE, DAC_READ_SEARCH and allowPrivilegeEscalation, b defaults) and, as root,
// `priv` (privileged).
import * as fs from 'node:fs';
import * as path from 'node:path';
import t from 'tap';
import { e2e, missingE2e, type E2e } from '../e2e/e2e-harness';
import { alive, asRoot, coveredBySubidRun, readOr } from '../integration/harness';
import { attempt, Batch, hostHas, pidsOf, runAsync, WAITING, type Attempt } from './security-harness';

const skip = missingE2e() ?? coveredBySubidRun();
const ROOTLESS_NO_PRIV = 'rootless: privileged is refused, and a user namespace never grants what it needs';
const SLEEP = String(3600 + (process.pid % 500));

function manifests(marker: string): string {
  const c = (name: string, cmd: string[], sc = '') => `  - name: ${name}\n    image: busybox:e2e\n    command: ${JSON.stringify(cmd)}\n${sc}`;
  const jail = `apiVersion: v1\nkind: Pod\nmetadata:\n  name: jail\nspec:\n  containers:\n${c('a', ['/payload', 'sleep', SLEEP])}${c('b', ['/bin/sleep', SLEEP])}`;
  const freeSc =
    '    securityContext:\n      allowPrivilegeEscalation: true\n      seccompProfile: {type: Unconfined}\n      capabilities: {add: [SYS_ADMIN, SYS_PTRACE, DAC_READ_SEARCH]}\n';
  const free = `apiVersion: v1\nkind: Pod\nmetadata:\n  name: free\nspec:\n  shareProcessNamespace: true\n  volumes:\n  - name: marker\n    hostPath: {path: ${path.dirname(marker)}}\n  containers:\n${c('a', ['/payload', 'sleep', SLEEP], freeSc + '    volumeMounts: [{name: marker, mountPath: /marker}]\n')}${c('b', ['/bin/sleep', SLEEP])}`;
  const priv = `apiVersion: v1\nkind: Pod\nmetadata:\n  name: priv\nspec:\n  containers:\n${c('a', ['/payload', 'sleep', SLEEP], '    securityContext:\n      privileged: true\n      seccompProfile: {type: Unconfined}\n')}`;
  // As root, the free container's settings in a pod of its own user namespace (hostUsers: false).
  const userns = `apiVersion: v1\nkind: Pod\nmetadata:\n  name: userns\nspec:\n  hostUsers: false\n  containers:\n${c('a', ['/payload', 'sleep', SLEEP], freeSc)}`;
  return [jail, free, ...(asRoot ? [priv, userns] : [])].join('\n---\n');
}

/** The attempts the seccomp RuntimeDefault profile must refuse, with the errno it answers and the twin's (Unconfined) answer. */
const SECCOMP: [Attempt, string, string][] = [
  [['unshare-user'], 'EPERM', 'ok'],
  [['clone3-newuser'], 'ENOSYS', 'ok'],
  [['keyctl'], 'EPERM', 'ok'],
  [['io-uring'], 'EPERM', 'ok'],
  [['bpf', 'bad-cmd'], 'EPERM', 'EINVAL'],
  [['perf-event-open'], 'EPERM', 'ok'],
  [['userfaultfd'], 'EPERM', 'ok'],
];
/** What the missing capability (CAP_SYS_ADMIN, CAP_DAC_READ_SEARCH) refuses, with seccomp or without. */
const CAPS: [Attempt, string, string][] = [
  [['unshare-mount'], 'EPERM', 'ok'],
  [['unshare-net'], 'EPERM', 'ok'],
  [['mount-tmpfs', '/tmp'], 'EPERM', 'ok'],
  [['mount-proc', '/tmp'], 'EPERM', 'ok'],
  [['open-by-handle-at', '/etc/hosts'], 'EPERM', 'ok'],
];

t.test('escape attempts from default containers fail; their twins succeed', { skip }, async (t) => {
  const e = await e2e(t);
  const marker = path.join(e.dir, 'marker', 'host-only');
  fs.mkdirSync(path.dirname(marker), { mode: 0o755 });
  fs.writeFileSync(marker, 'a file of the host\n', { mode: 0o644 });
  e.ok(['apply', '-f', e.file('pods.yaml', manifests(marker))]);
  const names = asRoot ? ['jail', 'free', 'priv', 'userns'] : ['jail', 'free'];
  const w = e.run(['wait', '--for=condition=Ready', ...names.map((n) => `pod/${n}`), '--timeout=90s']);
  t.equal(w.status, 0, `the pods run: ${w.stderr}`, { diagnostic: w.status !== 0, describe: w.status !== 0 ? e.run(['describe', 'pods']).stdout : '' });
  if (w.status !== 0) return;

  // Every attempt below is gathered first and made in one exec per container, side by side.
  const [b] = pidsOf(['/bin/sleep', SLEEP]).filter((p) => podOf(p, e) === 'jail');
  const block = fs.readdirSync('/sys/dev/block').sort()[0] ?? '7:0';
  const [maj, min] = block.split(':') as [string, string];
  const devices: Attempt[] = [
    ['mknod-char', '/tmp/tun', '10', '200'],
    ['open', '/tmp/tun', 'rw'],
    ['mknod-block', '/tmp/blk', maj, min],
    ['open', '/tmp/blk', 'r'],
    ['mknod-char', '/dev/tun', '10', '200'],
    ['open', '/dev/tun', 'rw'],
    ['bpf', 'map'],
  ];
  const corePattern: Attempt = ['write', '/proc/sys/kernel/core_pattern', readOr('/proc/sys/kernel/core_pattern', 'core\n').trim() || 'core'];
  const procSys: Attempt[] = [
    ['write', '/proc/sys/kernel/hostname', 'jail'],
    corePattern,
    ['write', '/proc/sysrq-trigger', 'h'],
    ['read', '/proc/kcore'],
    ['read', '/proc/keys'],
    ['read', '/proc/timer_list'],
    ['read', '/sys/firmware'],
  ];
  // The privileged twin writes back what is there already: its own pod's hostname, the host's core_pattern.
  const procSysTwin: Attempt[] = [['write', '/proc/sys/kernel/hostname', 'priv'], corePattern, ['keyctl'], ['read', '/proc/keys'], ['read', '/sys/firmware'], ...(hostHas('/proc/kcore') ? [['read', '/proc/kcore']] : [])];
  const setuid: Attempt = ['setuid-exec', '/tmp', '1000'];
  const others: Attempt[] = b ? [['kill', String(b), '0'], ['ptrace', String(b)]] : [];
  const pid1: Attempt[] = [['read', `/proc/1/root${marker}`], ['open', '/proc/1/exe', 'w']];
  const batch = new Batch(e);
  const all = [...SECCOMP, ...CAPS].map(([a]) => a);
  batch.add('jail', 'a', [...all, ...devices, ...procSys, setuid, ...others, ['read', `/proc/1/root${marker}`]]);
  batch.add('free', 'a', [...all, setuid, ...pid1, ['read', `/marker/${path.basename(marker)}`]]);
  batch.add('free', 'b', pid1);
  if (asRoot) batch.add('priv', 'a', [...devices.slice(0, 4), ['bpf', 'map'], ...procSysTwin]);
  // What CAP_SYS_ADMIN, CAP_MKNOD and CAP_DAC_READ_SEARCH give root's container, and not one with hostUsers: false.
  const hostCaps: Attempt[] = [['mknod-char', '/tmp/tun', '10', '200'], ['open-by-handle-at', '/etc/hosts'], ['bpf', 'map']];
  if (asRoot) {
    batch.add('userns', 'a', hostCaps);
    batch.add('free', 'a', hostCaps.slice(0, 2));
  }
  const [, jailInfo, freeInfo, scanA, scanB] = await Promise.all([
    batch.run(),
    runAsync(e, ['exec', 'jail', '-c', 'a', '--', '/payload', 'fds', '--then', 'cwd', '--then', 'status', 'Seccomp']),
    runAsync(e, ['exec', 'free', '-c', 'a', '--', '/payload', 'status', 'Seccomp']),
    scanExe(e, 'free', 'a'),
    scanExe(e, 'free', 'b'),
  ]);
  // After the others: an exec into jail's a still running would be a third process in its view.
  const jailPids = await runAsync(e, ['exec', 'jail', '-c', 'a', '--', '/payload', 'pids']);
  const J = (a: Attempt) => batch.get('jail', 'a', a);
  const F = (a: Attempt) => batch.get('free', 'a', a);
  const P = (a: Attempt) => batch.get('priv', 'a', a);

  t.test('seccomp RuntimeDefault is on by default and refuses what moby\'s profile refuses', async (t) => {
    const [f0, f1, f2, cwd, status] = jailInfo.stdout.trim().split('\n');
    t.same([f0, f1, f2, cwd], ['0', '1', '2', '/'], 'an exec session holds fds 0-2 only and starts in / of the container (CVE-2024-21626 class)');
    t.equal(status, 'Seccomp:\t2', 'a default container is filtered (Seccomp: 2)', { todo: WAITING.seccomp });
    t.equal(freeInfo.stdout.trim(), 'Seccomp:\t0', 'an Unconfined one is not');
    for (const [a, want, twin] of SECCOMP) {
      const k = a.join(' ');
      t.equal(J(a), want, `${k}: ${want} in a default container`, { todo: WAITING.seccomp });
      t.equal(F(a), twin, `${k}: ${twin} under Unconfined`);
    }
  });

  t.test('without CAP_SYS_ADMIN or CAP_DAC_READ_SEARCH: no mount or network namespace, no mount, no file handle', async (t) => {
    for (const [a, want, twin] of CAPS) {
      const k = a.join(' ');
      t.equal(J(a), want, `${k}: ${want} by default`);
      // open_by_handle_at wants CAP_DAC_READ_SEARCH in the initial user namespace.
      if (k.startsWith('open-by-handle-at') && !asRoot) t.equal(F(a), 'EPERM', `${k}: EPERM even with the capability in a user namespace`);
      else t.equal(F(a), twin, `${k}: ${twin} with the capability added`);
    }
  });

  t.test('device nodes: made or not, they cannot be opened; privileged can', async (t) => {
    const got = devices.map(J);
    if (asRoot) {
      // CAP_MKNOD is a default capability: the node may be made, but neither the root nor /dev allows opening it.
      t.not(got[1], 'ok', `a char device made in the root filesystem is not opened (${got[0]}, ${got[1]})`, { todo: WAITING.devices });
      t.not(got[3], 'ok', `a block device made in the root filesystem is not opened (${got[2]}, ${got[3]})`, { todo: WAITING.devices });
      t.not(got[5], 'ok', `a char device made in /dev is not opened (${got[4]}, ${got[5]})`, { todo: WAITING.devices });
      t.same(devices.slice(0, 4).map(P), ['ok', 'ok', 'ok', 'ok'], 'the twin: privileged makes and opens both');
      t.equal(got[6], 'EPERM', 'bpf: no map by default');
      t.equal(P(['bpf', 'map']), 'ok', 'the twin: privileged makes a bpf map');
    } else {
      t.same(got, ['EPERM', 'ENOENT', 'EPERM', 'ENOENT', 'EPERM', 'ENOENT', 'EPERM'], 'a user namespace never makes a device node, nor a bpf map');
      t.skip(`the privileged twin: ${ROOTLESS_NO_PRIV}`, () => undefined);
    }
  });

  t.test('/proc and /sys: writes refused, masked paths read as nothing; privileged reaches them', async (t) => {
    const [host, core, sysrq, kcore, keys, timers, firmware] = procSys.map(J);
    t.equal(host, 'EROFS', '/proc/sys/kernel/hostname: read-only');
    t.equal(core, 'EROFS', '/proc/sys/kernel/core_pattern: read-only');
    t.ok(sysrq === 'EROFS' || (sysrq === 'ENOENT' && !hostHas('/proc/sysrq-trigger')), `/proc/sysrq-trigger: not written (${sysrq})`);
    t.ok(kcore === 'empty' || (kcore === 'ENOENT' && !hostHas('/proc/kcore')), `/proc/kcore: masked (${kcore})`);
    t.equal(keys, 'empty', '/proc/keys: masked');
    t.equal(timers, 'empty', '/proc/timer_list: masked');
    t.equal(firmware, 'empty', '/sys/firmware: masked');
    if (!asRoot) return void t.skip(`the privileged twin: ${ROOTLESS_NO_PRIV}`, () => undefined);
    t.same(procSysTwin.map(P), procSysTwin.map(() => 'ok'), 'the twin: privileged writes /proc/sys, reads /proc/keys (with a key of its own) and /sys/firmware');
    t.equal(readOr('/proc/sys/kernel/core_pattern').trim(), corePattern[2], 'the host\'s core_pattern is as it was');
    if (!hostHas('/proc/sysrq-trigger')) t.skip('the sysrq twin: this kernel has no /proc/sysrq-trigger', () => undefined);
  });

  t.test('hostUsers: false: container root is no one on the host, capabilities or not', { skip: asRoot ? undefined : 'rootless pods always have their own user namespace: every case above is that one' }, async (t) => {
    const map = (await runAsync(e, ['exec', 'userns', '-c', 'a', '--', '/payload', 'cat', '/proc/self/uid_map'])).stdout.trim().split(/\s+/);
    t.ok(map[0] === '0' && map[1] !== '0' && map[2] === '65536', `uid 0 maps to an unprivileged host range of 65536 (${map.join(' ')})`);
    const got = hostCaps.map((a) => batch.get('userns', 'a', a));
    t.same(got, ['EPERM', 'EPERM', 'EPERM'], 'no device node, no file handle, no bpf map, even with the capabilities');
    t.same(hostCaps.slice(0, 2).map(F), ['ok', 'ok'], 'the twin: the same container with the host\'s users makes the node and opens the handle');
  });

  t.test('setuid: no_new_privs keeps a setuid-root program from gaining root', async (t) => {
    t.equal(J(setuid), 'EPERM', 'by default it runs as uid 1000');
    t.equal(F(setuid), 'ok', 'the twin: with allowPrivilegeEscalation it becomes root');
  });

  t.test('another container without shareProcessNamespace: not seen, not signalled, not traced', async (t) => {
    t.ok(b, 'container b of jail is found on the host');
    const pids = jailPids.stdout.trim().split('\n');
    t.equal(pids.length, 2, `container a sees only its own process and the exec (${pids.join(' ')})`);
    t.same(others.map(J), ['ESRCH', 'ESRCH'], 'kill and ptrace of b\'s host pid: no such process');
    // The twin: in the shared pid namespace, a finds b (busybox sleep) and may signal and trace it.
    const seen = scanA.find((l) => l.exe === '/bin/busybox');
    t.ok(seen, 'with shareProcessNamespace, a sees b');
    if (seen) t.same(attempt(e, 'free', 'a', [['kill', seen.pid, '0'], ['ptrace', seen.pid]]), ['ok', 'ok'], 'and signals and traces it');
  });

  t.test('the shim and podrun: out of reach of a shared-pid container (CVE-2019-5736 class)', async (t) => {
    // The pod's init runs from a sealed copy in memory: the only executable that is not the image's.
    const foreign = (l: Exe) => !['/payload', '/bin/busybox'].includes(l.exe) && !l.exe.startsWith('/memfd:podrun-pod-init');
    for (const [c, lines] of [['b', scanB], ['a', scanA]] as const) {
      const open = lines.filter((l) => foreign(l) && l.open === 'ok');
      const todo = c === 'a' ? WAITING.sharedPid1 : undefined;
      t.same(open, [], `container ${c}${c === 'a' ? ' (with SYS_PTRACE)' : ''} opens no executable of the host (${lines.map((l) => `${l.pid} ${l.exe} ${l.open}`).join('; ')})`, { todo });
      t.notOk(lines.some((l) => /podrun-shim|\bnode$/.test(l.exe)), `container ${c} cannot even name the shim's or node's executable`, { todo });
      const [root, exe] = pid1.map((a) => batch.get('free', c, a));
      t.not(root, 'ok', `container ${c}: the host's files are not reached through /proc/1/root (${root})`, { todo });
      t.not(exe, 'ok', `container ${c}: /proc/1/exe is not opened for writing (${exe})`);
    }
    t.equal(F(['read', `/marker/${path.basename(marker)}`]), 'ok', 'the twin: the same file through a hostPath volume is read');
    t.equal(J(['read', `/proc/1/root${marker}`]), 'ENOENT', 'in its own pid namespace, /proc/1/root is the container\'s root');
  });

  t.test('signals to PID 1 (the pod\'s init, not the shim) from a shared-pid container do not stop the pod', async (t) => {
    const shim = shimPid(e, 'free');
    t.ok(shim && alive(shim), 'the shim of free runs');
    t.notOk(scanA.some((l) => l.pid === '1' && /podrun-shim/.test(l.exe)), 'PID 1 of the shared namespace is not the shim');
    const signals = ['HUP', 'INT', 'QUIT', 'TERM', 'USR1', 'USR2', 'ALRM', 'PIPE', 'STOP', 'TSTP', 'TTIN', 'SEGV', 'ABRT', 'KILL', 'CONT'];
    const got = attempt(e, 'free', 'b', signals.map((s) => ['kill', '1', s]));
    t.ok(got.every((v) => v === 'ok' || v === 'EPERM'), `kill(1, SIG) answered (${got.join(' ')})`);
    const after = e.pod('free');
    t.ok(shim && alive(shim) && readOr(`/proc/${shim}/stat`).split(' ')[2] !== 'T', 'the shim lives on, not stopped');
    t.same(
      after?.status?.containerStatuses?.map((s) => [s.name, !!s.state?.running, s.restartCount]),
      [
        ['a', true, 0],
        ['b', true, 0],
      ],
      'both containers run, never restarted',
    );
    t.same(e.run(['exec', 'free', '-c', 'b', '--', '/payload', 'echo', 'still']).stdout, 'still\n', 'exec still works');
    // The twin: the same SIGKILL from b does end a's process, which restarts. b may not read the
    // exe of a, whose capabilities exceed its own: a is the pid other than 1 it cannot name.
    const a = (await scanExe(e, 'free', 'b')).find((l) => l.pid !== '1' && l.exe === 'EACCES');
    t.ok(a, 'b sees a\'s process');
    if (!a) return;
    t.same(attempt(e, 'free', 'b', [['kill', a.pid, 'KILL']]), ['ok'], 'SIGKILL to a');
    let gone = '';
    for (const end = Date.now() + 10_000; gone !== 'ESRCH' && Date.now() < end; ) gone = (await runAsync(e, ['exec', 'free', '-c', 'b', '--', '/payload', 'try', 'kill', a.pid, '0'])).stdout.trim();
    t.equal(gone, 'ESRCH', 'a\'s process is gone');
  });
});

interface Exe {
  pid: string;
  exe: string;
  open: string;
}

async function scanExe(e: E2e, pod: string, container: string): Promise<Exe[]> {
  const r = await runAsync(e, ['exec', pod, '-c', container, '--', '/payload', 'try', 'scan-exe']);
  return r.stdout
    .split('\n')
    .filter((l) => l)
    .map((l) => {
      // The target may hold spaces (" (deleted)" once a rebuild replaced the file).
      const words = l.split(' ');
      return { pid: words[0]!, exe: words.slice(1, -1).join(' '), open: words[words.length - 1]! };
    })
    .filter((l) => l.exe !== 'ENOENT'); // the exec's own short-lived processes
}

/** The pod a host process belongs to: the pod directory named in its shim's command line. */
function podOf(pid: number, e: E2e): string | undefined {
  for (let p = pid, i = 0; p > 1 && i < 6; i++) {
    const argv = readOr(`/proc/${p}/cmdline`).split('\0');
    const dir = argv.find((a) => a.startsWith(path.join(e.root, 'pods') + '/'));
    if (dir) return podNameOfDir(dir);
    p = Number(readOr(`/proc/${p}/stat`).split(') ')[1]?.split(' ')[1] ?? 0);
  }
  return undefined;
}

function podNameOfDir(dir: string): string | undefined {
  try {
    const j = JSON.parse(fs.readFileSync(path.join(dir, 'pod.json'), 'utf8')) as { metadata?: { name?: string } };
    return j.metadata?.name;
  } catch {
    return undefined;
  }
}

/** The host pid of POD's shim (its sandbox.json). */
function shimPid(e: E2e, pod: string): number | undefined {
  const dir = path.join(e.root, 'pods');
  for (const id of fs.readdirSync(dir)) {
    if (podNameOfDir(path.join(dir, id)) !== pod) continue;
    try {
      return (JSON.parse(fs.readFileSync(path.join(dir, id, 'sandbox.json'), 'utf8')) as { pid: number }).pid;
    } catch {
      return undefined;
    }
  }
  return undefined;
}
