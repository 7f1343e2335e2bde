// Device control: a container opens only the nodes it was given (null, zero, full, random,
// urandom, tty, its own devpts, and what the pod asks for: CRI-O's devices annotation, a device
// hostPath); a node made with mknod anywhere else cannot be opened, because every other
// filesystem the container has is nodev. privileged gets the host's devices, every capability of
// the host's bounding set, /proc unmasked and /sys writable, and is refused without root.
// One root, three pods, many assertions each; busybox does the mknod and the opens.
import * as fs from 'node:fs';
import * as path from 'node:path';
import t from 'tap';
import { MASKED_PATHS } from '../../src/plan/masked-paths';
import { ShimClient } from '../../src/runtime/shim-client';
import { asRoot, coveredBySubidRun, execOut, IMAGE, isRunning, missingBusybox, missingFeature, pod, podPaths, readOr, setup, waitLogs } from './harness';

const missing = missingFeature() ?? missingBusybox() ?? coveredBySubidRun();
if (missing) {
  t.comment(`skip: ${missing}`);
  t.plan(0, missing);
  process.exit(0);
}

const ROOT_ONLY = 'mknod of a device is refused in a user namespace (the kernel allows it only to root of the host), and privileged is refused rootless';
const SLEEP = ['/bin/sh', '-c', 'exec sleep 3600'];

/** A shell line's output in the container, stdout and stderr together, then "rc=N". */
async function sh(podrun: Parameters<typeof execOut>[0], name: string, line: string, container?: string): Promise<string> {
  const r = await execOut(podrun, name, ['/bin/sh', '-c', `{ ${line}; } 2>&1; echo rc=$?`], { container });
  return r.stdout;
}

/** The mount points of a container whose mount options lack nodev (/proc/self/mountinfo). */
async function devMounts(podrun: Parameters<typeof execOut>[0], name: string, container?: string): Promise<{ all: string[]; withDev: string[] }> {
  const info = (await execOut(podrun, name, ['/bin/cat', '/proc/self/mountinfo'], { container })).stdout.trim().split('\n');
  const all = info.map((l) => l.split(' ')[4]!);
  const withDev = info.filter((l) => !l.split(' ')[5]!.split(',').includes('nodev')).map((l) => l.split(' ')[4]!);
  return { all, withDev };
}

/** CapBnd of this process: what privileged comes to. */
const hostBounding = /^CapBnd:\s*([0-9a-f]+)$/m.exec(fs.readFileSync('/proc/self/status', 'utf8'))![1]!;

t.test('device control through new Podrun() with its defaults', async (t) => {
  const env = await setup(t);
  const { podrun } = env;
  const hasFuse = fs.existsSync('/dev/fuse');
  const hasTun = fs.existsSync('/dev/net/tun');
  await podrun.createPod(
    pod('plain', {
      volumes: [{ name: 'data', emptyDir: {} }],
      containers: [
        { name: 'main', image: IMAGE, command: SLEEP, volumeMounts: [{ name: 'data', mountPath: '/data' }] },
        { name: 'term', image: IMAGE, tty: true, command: ['/bin/sh', '-c', 'tty; echo through-dev-tty > /dev/tty; exec sleep 3600'] },
      ],
    }, { metadata: { name: 'plain', annotations: { 'kubectl.kubernetes.io/default-container': 'main' } } }),
  );
  await podrun.createPod(
    pod(
      'asks',
      {
        volumes: hasTun ? [{ name: 'tun', hostPath: { path: '/dev/net/tun', type: 'CharDevice' } }] : [],
        containers: [{ name: 'main', image: IMAGE, command: SLEEP, volumeMounts: hasTun ? [{ name: 'tun', mountPath: '/dev/net/tun' }] : [] }],
      },
      { metadata: { name: 'asks', annotations: hasFuse ? { 'io.kubernetes.cri-o.Devices': '/dev/fuse' } : {} } },
    ),
  );
  await podrun.waitFor('plain', isRunning, { timeoutMs: 30_000 });
  await podrun.waitFor('asks', isRunning, { timeoutMs: 30_000 });

  t.test('the default nodes are there, and work', async (t) => {
    const ls = (await execOut(podrun, 'plain', ['/bin/ls', '/dev'])).stdout.trim().split(/\s+/).sort();
    t.same(ls, ['core', 'fd', 'full', 'mqueue', 'null', 'ptmx', 'pts', 'random', 'shm', 'stderr', 'stdin', 'stdout', 'termination-log', 'tty', 'urandom', 'zero'], '/dev holds the defaults and nothing of the host else');
    t.equal(await sh(podrun, 'plain', 'head -c 5 /dev/zero | wc -c; head -c 7 /dev/urandom | wc -c; head -c 3 /dev/random | wc -c'), '5\n7\n3\nrc=0\n', 'zero, urandom and random read');
    t.equal(await sh(podrun, 'plain', 'echo gone > /dev/null && cat /dev/null'), 'rc=0\n', 'null swallows');
    t.match(await sh(podrun, 'plain', '/bin/busybox dd if=/dev/zero of=/dev/full bs=1 count=1'), /No space left on device[^]*rc=1/, 'full is full');
    const term = await waitLogs(podrun, 'plain', 'term', (l) => l.some((x) => x.includes('through-dev-tty')), 10_000);
    t.match(term.join('\n'), /\/dev\/pts\/0/, 'tty: true gets a terminal of its own devpts');
    t.match(term.join('\n'), /through-dev-tty/, 'and /dev/tty opens it');
  });

  t.test('every filesystem but the nodes and devpts is nodev (mountinfo)', async (t) => {
    const allowed = ['/dev/null', '/dev/zero', '/dev/full', '/dev/random', '/dev/urandom', '/dev/tty', '/dev/pts'];
    for (const c of ['main', 'term']) {
      const m = await devMounts(podrun, 'plain', c);
      for (const p of ['/', '/dev', '/dev/shm', '/data', '/tmp', '/etc/hosts', '/dev/termination-log', '/proc', '/sys']) {
        if (m.all.includes(p)) t.notOk(m.withDev.includes(p), `${c}: ${p} is nodev`);
      }
      t.ok(m.all.includes('/') && (c !== 'main' || m.all.includes('/data')) && m.all.includes('/dev/shm'), `${c}: the root, the emptyDir and /dev/shm are among them`);
      // The masked /proc files are /dev/null bound over them: null again.
      const rest = m.withDev.filter((p) => !MASKED_PATHS.includes(p));
      t.same(rest.sort(), [...allowed].sort(), `${c}: dev only on the allowed nodes and devpts`);
    }
  });

  t.test('a node made with mknod cannot be opened: EACCES', { skip: asRoot ? undefined : ROOT_ONLY }, async (t) => {
    // /dev/net/tun's numbers (10:200) and /dev/zero's (1:5): even an allowed device is closed
    // away from its own bind. In /dev, the root overlay, the emptyDir and /dev/shm.
    for (const dir of ['/dev', '/tmp', '/data', '/dev/shm']) {
      const out = await sh(podrun, 'plain', `/bin/busybox mknod ${dir}/tun c 10 200 && /bin/busybox mknod ${dir}/z c 1 5 && echo made; true < ${dir}/tun; true < ${dir}/z`);
      t.match(out, /^made\n/, `mknod in ${dir} works (CAP_MKNOD is a Kubernetes default)`);
      t.match(out, new RegExp(`can't open ${dir}/tun: Permission denied`), `opening 10:200 in ${dir}: EACCES`);
      t.match(out, new RegExp(`can't open ${dir}/z: Permission denied\nrc=1`), `opening 1:5 in ${dir}: EACCES`);
    }
    const blk = await sh(podrun, 'plain', '/bin/busybox mknod /tmp/blk b 7 0 && echo made; true < /tmp/blk');
    t.match(blk, /made\n.*can't open \/tmp\/blk: Permission denied/s, 'a block device: made, not opened');
  });

  t.test('/dev/fuse is absent by default and present when asked', async (t) => {
    t.equal(await sh(podrun, 'plain', 'test -e /dev/fuse || echo absent'), 'absent\nrc=0\n', 'not in a default container');
    if (!hasFuse) return t.skip('this host has no /dev/fuse');
    t.equal(await sh(podrun, 'asks', 'stat -c "%F %t:%T" /dev/fuse'), 'character special file a:e5\nrc=0\n', "the annotation's /dev/fuse (10:229)");
    if (hasTun) t.equal(await sh(podrun, 'asks', 'stat -c "%F %t:%T" /dev/net/tun'), 'character special file a:c8\nrc=0\n', 'the hostPath CharDevice volume');
    const m = await devMounts(podrun, 'asks');
    t.ok(m.withDev.includes('/dev/fuse') && (!hasTun || m.withDev.includes('/dev/net/tun')), 'each its own mount, with dev');
    if (asRoot) {
      t.equal(await sh(podrun, 'asks', 'true < /dev/fuse'), 'rc=0\n', 'and it opens');
      if (hasTun) t.equal(await sh(podrun, 'asks', 'true < /dev/net/tun'), 'rc=0\n', 'so does the tun device');
    } else {
      t.comment('rootless: not opened (the host nodes are 0600 root; a user namespace has no right to them)');
    }
  });

  t.test('privileged: the host devices, every capability of the bounding set, /proc unmasked, /sys writable', { skip: asRoot ? undefined : ROOT_ONLY }, async (t) => {
    await podrun.createPod(pod('priv', { volumes: [{ name: 'data', emptyDir: {} }], containers: [{ name: 'main', image: IMAGE, command: SLEEP, securityContext: { privileged: true }, volumeMounts: [{ name: 'data', mountPath: '/data' }] }] }));
    await podrun.waitFor('priv', isRunning, { timeoutMs: 30_000 });
    // The twin of the EACCES above: the same mknod and open succeed.
    for (const dir of ['/tmp', '/data']) {
      t.equal(await sh(podrun, 'priv', `/bin/busybox mknod ${dir}/tun c 10 200 && true < ${dir}/tun`), 'rc=0\n', `a node made in ${dir} opens`);
    }
    const capEff = /^CapEff:\s*([0-9a-f]+)$/m.exec(await sh(podrun, 'priv', 'cat /proc/1/status'))?.[1];
    t.equal(capEff, hostBounding, `CapEff is the host's bounding set (${hostBounding})`);
    for (const d of ['/dev/fuse', '/dev/net/tun', '/dev/kvm'].filter((p) => fs.existsSync(p))) {
      t.equal(await sh(podrun, 'priv', `test -c ${d} && true < ${d}`), 'rc=0\n', `the host's ${d} is there and opens`);
    }
    const m = await devMounts(podrun, 'priv');
    t.ok(m.withDev.includes('/') && m.withDev.includes('/data') && m.withDev.includes('/dev'), 'the root, the volumes and /dev keep dev');
    t.notOk(m.all.some((p) => MASKED_PATHS.includes(p)), 'no masked /proc paths');
    t.notOk(m.all.includes('/proc/sys'), '/proc/sys is not made read-only');
    t.equal(await sh(podrun, 'priv', 'grep " /sys " /proc/self/mountinfo | cut -d" " -f6 | cut -d, -f1'), 'rw\nrc=0\n', '/sys is writable');
  });

  t.test('privileged in a user namespace of its own (hostUsers: false): the host nodes bound, mknod being refused there', { skip: !asRoot ? ROOT_ONLY : /^podrun:/m.test(readOr('/etc/subuid')) ? undefined : 'no podrun entry in /etc/subuid for hostUsers: false' }, async (t) => {
    await podrun.createPod(pod('privns', { hostUsers: false, containers: [{ name: 'main', image: IMAGE, command: SLEEP, securityContext: { privileged: true } }] }));
    await podrun.waitFor('privns', isRunning, { timeoutMs: 30_000 });
    t.equal(await sh(podrun, 'privns', `${hasTun ? 'test -c /dev/net/tun && ' : ''}echo x > /dev/null && head -c 2 /dev/zero | wc -c`), '2\nrc=0\n', 'the host devices are there; null and zero work');
    const m = await devMounts(podrun, 'privns');
    t.ok(m.all.includes('/dev/null') && m.all.includes('/dev/zero'), 'each node a bind of the host\'s');
  });

  t.test("the shim refuses a start without the device keys (required, never defaulted)", async (t) => {
    const shim = await ShimClient.connect(podPaths(env, await podrun.getPod('plain')).shimSocket);
    t.teardown(() => shim.close());
    const at = (f: string) => path.join(env.scratch, f);
    // What the shim checks before the device keys, valid; then the device keys, each missing or wrong in turn.
    const base = { name: 'bad', attempt: 0, root: at('root'), newPidns: true, readonlyRoot: false, uid: 0, gid: 0, groups: [], setGroups: true, capBounding: 0, capEffective: 0, noNewPrivs: true, cwd: '/', tty: false, stdin: false, logPath: at('log'), startPath: at('start'), exitPath: at('exit'), logMaxSize: 0, logMaxFiles: 1, cgroup: { procs: [], oomCounter: '' }, seccomp: null, argv: ['/bin/true'], env: [] };
    const keys = { nodev: true, maskedPaths: [], readonlyPaths: [] };
    const dev = { type: 'dev', target: '/dev', nodes: [], hostDevices: false };
    const cases: [string, object, RegExp][] = [
      ['no nodev', { ...base, ops: [] }, /container\.nodev: Required value/],
      ['nodev a string', { ...base, ...keys, nodev: 'yes', ops: [] }, /container\.nodev: Invalid value: must be a boolean/],
      ['no maskedPaths', { ...base, ...keys, maskedPaths: undefined, ops: [] }, /container\.maskedPaths: Required value/],
      ['a dev op without hostDevices', { ...base, ...keys, ops: [{ ...dev, hostDevices: undefined }] }, /container\.ops\[0\]\.hostDevices: Required value/],
      ['a node without readonly', { ...base, ...keys, ops: [{ ...dev, nodes: [{ source: '/dev/null', target: '/dev/x' }] }] }, /container\.ops\[0\]\.nodes\[0\]\.readonly: Required value/],
      ['a sysfs op without readonly', { ...base, ...keys, ops: [{ type: 'sysfs', target: '/sys' }] }, /container\.ops\[0\]\.readonly: Required value/],
    ];
    for (const [what, plan, want] of cases) await t.rejects(shim.start(JSON.parse(JSON.stringify(plan))), want, what);
  });

  t.test('privileged without root: refused at apply, naming the field; nothing made', { skip: asRoot ? 'root may run privileged containers' : undefined }, async (t) => {
    const yaml = `apiVersion: v1\nkind: Pod\nmetadata:\n  name: priv\nspec:\n  containers:\n  - name: main\n    image: ${IMAGE}\n    securityContext:\n      privileged: true\n`;
    await t.rejects(podrun.apply(yaml), /Pod "priv" is invalid: spec\.containers\[0\]\.securityContext\.privileged: Forbidden: disallowed by cluster policy/);
    t.same((await podrun.listPods()).map((p) => p.metadata?.name).sort(), ['asks', 'plain'], 'no pod priv');
  });
});
