// The escape suite, part two: what a container or an image could do to the host's files, through
// bin/podrun with defaults only. Inherited descriptors and working directories (CVE-2024-21626
// class), an image whose /dev, /proc, /sys, /dev/null or /etc files are symlinks (the
// CVE-2025-31133/52565 class: podrun's mounts must land inside the root, masks must stay masks),
// hostile image layers, symlinks planted in an emptyDir and mounted by subPath, a second user
// against root's state, and a fork bomb under the pids limit. Each has a twin that shows the same
// path works where it is allowed, so each test can fail.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import t from 'tap';
import type { Pod } from 'kubernetes-types/core/v1';
import { e2e, missingE2e, type E2e } from '../e2e/e2e-harness';
import { asRoot, buildBusyboxRootfs, coveredBySubidRun, readOr } from '../integration/harness';
import { writeOciLayout, type Entry } from '../integration/oci-harness';
import { attempt, hostMountPoints, runAsync, WAITING } from './security-harness';

const skip = missingE2e() ?? coveredBySubidRun();
const settled = (p: Pod) => ['Succeeded', 'Failed'].includes(p.status?.phase ?? '') || (p.status?.containerStatuses ?? []).every((s) => !!s.state?.terminated || (s.state?.waiting?.reason ?? '').endsWith('Error'));

/** A container of busybox-like IMAGE running the payload with ARGS, and extra YAML lines. */
function container(name: string, image: string, args: string[], extra = ''): string {
  return `  - name: ${name}\n    image: ${image}\n    command: ${JSON.stringify(['/payload', ...args])}\n${extra}`;
}

/** The logs of these containers, fetched side by side: undefined for one that never started. */
async function logsOf(e: E2e, pod: string, containers: string[]): Promise<Map<string, string | undefined>> {
  const rs = await Promise.all(containers.map((c) => runAsync(e, ['logs', pod, '-c', c])));
  return new Map(containers.map((c, i) => [c, rs[i]!.status === 0 ? rs[i]!.stdout : undefined]));
}

/** The files and directories below DIR (relative), to show nothing was added. */
function listing(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string, rel: string) => {
    for (const n of fs.readdirSync(d)) {
      out.push(path.join(rel, n));
      const st = fs.lstatSync(path.join(d, n));
      if (st.isDirectory()) walk(path.join(d, n), path.join(rel, n));
    }
  };
  walk(dir, '');
  return out.sort();
}

t.test('the host is out of reach of containers and images', { skip }, async (t) => {
  const e = await e2e(t);
  const victim = path.join(e.dir, 'victim');
  fs.mkdirSync(victim, { mode: 0o777 });
  fs.writeFileSync(path.join(victim, 'file'), 'the host\'s\n', { mode: 0o666 });
  fs.chmodSync(path.join(victim, 'file'), 0o666);
  const before = listing(victim);
  const corePattern = readOr('/proc/sys/kernel/core_pattern', 'core\n').trim() || 'core';

  // Images whose well-known paths are symlinks: to the host's victim, or to sensitive places inside.
  const tricks: Record<string, [string, string][]> = {
    'dev-host': [['dev', victim]],
    'dev-procsys': [['dev', '/proc/sys/kernel']],
    'proc-host': [['proc', victim]],
    'sys-host': [['sys', victim]],
    'etc-host': [
      ['etc/hosts', path.join(victim, 'file')],
      ['etc/hostname', `../../../../../../../../..${victim}/file`],
      ['etc/resolv.conf', '/proc/sys/kernel/core_pattern'],
    ],
    'devnull': [
      ['dev/null', '/proc/sys/kernel/core_pattern'],
      ['dev/pts', victim],
      ['dev/shm', victim],
      ['dev/termination-log', path.join(victim, 'file')],
    ],
  };
  const imports = Object.entries(tricks).map(([name, links]) => {
    const dir = path.join(e.dir, `trick-${name}`);
    fs.mkdirSync(dir);
    const rootfs = buildBusyboxRootfs(dir);
    for (const [at, target] of links) {
      fs.rmSync(path.join(rootfs, at), { recursive: true, force: true });
      fs.mkdirSync(path.dirname(path.join(rootfs, at)), { recursive: true });
      fs.symlinkSync(target, path.join(rootfs, at));
    }
    return runAsync(e, ['image', 'import', rootfs, `trick:${name}`]);
  });
  for (const r of await Promise.all(imports)) if (r.status !== 0) t.fail(`image import: ${r.stderr}`);
  // Each trick container reports: /proc/keys, a core_pattern write (the host's own value), /sys/firmware, its hostname file.
  const probe = ['try', 'read', '/proc/keys', '--then', 'try', 'write', '/proc/sys/kernel/core_pattern', corePattern, '--then', 'try', 'read', '/sys/firmware', '--then', 'cat', '/etc/hostname'];
  const cwdFds = [3, 4, 5, 6, 7, 8];
  const tricksPod = `apiVersion: v1\nkind: Pod\nmetadata:\n  name: tricks\nspec:\n  restartPolicy: Never\n  containers:\n${Object.keys(tricks)
    .map((n) => container(n, `trick:${n}`, probe))
    .join('')}${container('plain', 'busybox:e2e', probe)}${cwdFds.map((fd) => container(`cwd-${fd}`, 'busybox:e2e', ['cwd', '--then', 'fds', '--then', 'ls', '.'], `    workingDir: /proc/self/fd/${fd}\n`)).join('')}${container('cwd-tmp', 'busybox:e2e', ['cwd', '--then', 'fds'], '    workingDir: /tmp\n')}`;
  // A planter fills an emptyDir with symlinks; other containers mount them by subPath.
  const plant = [
    'set -e',
    `/bin/busybox ln -s ${victim} /shared/abs`,
    `/bin/busybox ln -s ../../../../../../../../../..${victim} /shared/rel`,
    'mkdir -p /shared/real/inner',
    'echo inside > /shared/real/inner/file',
    `/bin/busybox ln -s ${victim} /shared/real/inner/link`,
    '/bin/busybox ln -s real /shared/good',
  ].join('; ');
  const sub = (name: string, subPath: string) => container(name, 'busybox:e2e', ['ls', '/mnt'], `    volumeMounts: [{name: shared, mountPath: /mnt, subPath: ${subPath}}]\n`);
  const subpathPod = `apiVersion: v1\nkind: Pod\nmetadata:\n  name: subpath\nspec:\n  restartPolicy: Never\n  volumes: [{name: shared, emptyDir: {}}]\n  initContainers:\n  - name: planter\n    image: busybox:e2e\n    command: ["sh", "-c", ${JSON.stringify(plant)}]\n    volumeMounts: [{name: shared, mountPath: /shared}]\n  containers:\n${sub('abs', 'abs')}${sub('rel', 'rel')}${sub('nested', 'real/inner/link')}${sub('good', 'good/inner')}`;
  e.ok(['apply', '-f', e.file('pods.yaml', [tricksPod, subpathPod].join('\n---\n'))]);
  const pods = await Promise.all(['tricks', 'subpath'].map((n) => e.until(n, settled, 90_000)));
  t.ok(pods.every(Boolean), 'both pods settle', { diagnostic: !pods.every(Boolean), describe: e.run(['describe', 'pods']).stdout });
  const [trickLogs, subLogs] = await Promise.all([
    logsOf(e, 'tricks', [...Object.keys(tricks), 'plain', ...cwdFds.map((fd) => `cwd-${fd}`), 'cwd-tmp']),
    logsOf(e, 'subpath', ['abs', 'rel', 'nested', 'good']),
  ]);
  const logOf = (_e: E2e, pod: string, c: string) => (pod === 'tricks' ? trickLogs : subLogs).get(c);

  t.test('images with symlinked /dev, /proc, /sys, /dev/null and /etc files do not redirect podrun\'s mounts', async (t) => {
    for (const name of Object.keys(tricks)) {
      const log = logOf(e, 'tricks', name);
      const status = pods[0]?.status?.containerStatuses?.find((s) => s.name === name);
      if (log === undefined || log === '') {
        t.ok(status?.state?.terminated?.exitCode || status?.state?.waiting, `${name}: refused to start (${JSON.stringify(status?.state)})`);
        continue;
      }
      const [keys, core, firmware, hostname] = log.split('\n');
      t.same([keys, core, firmware], ['empty', 'EROFS', 'empty'], `${name}: /proc/keys masked, /proc/sys read-only, /sys/firmware masked`);
      t.equal(hostname, 'tricks', `${name}: /etc/hostname is the pod's`);
    }
    t.same(logOf(e, 'tricks', 'plain')?.split('\n').slice(0, 4), ['empty', 'EROFS', 'empty', 'tricks'], 'the twin: a plain image answers the same, through the same mounts');
    t.same(listing(victim), before, 'nothing was made in the host\'s victim directory');
    t.equal(readOr(path.join(victim, 'file')), 'the host\'s\n', 'the host\'s file is as it was');
    t.equal(readOr('/proc/sys/kernel/core_pattern').trim(), corePattern, 'the host\'s core_pattern is as it was');
    t.same(hostMountPoints().filter((m) => m.startsWith(victim)), [], 'no mount on the host under the victim');
  });

  t.test('a working directory is never a descriptor of the host (CVE-2024-21626 class)', async (t) => {
    for (const fd of cwdFds) {
      const log = logOf(e, 'tricks', `cwd-${fd}`);
      const status = pods[0]?.status?.containerStatuses?.find((s) => s.name === `cwd-${fd}`);
      if (!log) {
        t.ok(status?.state?.terminated || status?.state?.waiting, `workingDir /proc/self/fd/${fd}: not started (${status?.state?.terminated?.reason ?? status?.state?.waiting?.reason})`);
        continue;
      }
      const [cwd, ...rest] = log.trim().split('\n');
      t.ok(cwd?.startsWith('/') && cwd !== '/proc/self/fd', `workingDir /proc/self/fd/${fd}: the working directory is inside the root (${cwd})`);
      t.notOk(rest.some((l) => l.includes(path.basename(e.dir))), 'and lists nothing of the host');
    }
    t.same(logOf(e, 'tricks', 'cwd-tmp')?.trim().split('\n'), ['/tmp', '0', '1', '2'], 'the twin: workingDir /tmp is /tmp; fds 0-2 only');
  });

  t.test('symlinks planted in an emptyDir and mounted by subPath stay inside the volume', async (t) => {
    for (const name of ['abs', 'rel', 'nested']) {
      const log = logOf(e, 'subpath', name);
      const status = pods[1]?.status?.containerStatuses?.find((s) => s.name === name);
      t.notOk(log?.includes('file'), `subPath ${name}: the host's victim is not listed (${log ? JSON.stringify(log) : `not started: ${status?.state?.waiting?.reason ?? status?.state?.terminated?.reason}`})`);
    }
    t.equal(logOf(e, 'subpath', 'good'), 'file\nlink\n', 'the twin: a symlink that stays inside the volume is followed');
    t.same(listing(victim), before, 'nothing was made in the host\'s victim directory');
  });

  t.test('hostile image layers write nothing outside the store', async (t) => {
    const token = `podrun-sec-${process.pid}`;
    const outside = path.join(e.dir, 'outside');
    fs.mkdirSync(outside, { mode: 0o777 });
    fs.writeFileSync(path.join(outside, 'victim'), 'kept\n', { mode: 0o666 });
    fs.chmodSync(path.join(outside, 'victim'), 0o666);
    const layers: [string, Entry[][]][] = [
      ['a ../ path', [[{ name: `../../../../../../../..${outside}/${token}-dotdot`, body: 'x' }]]],
      ['an absolute path', [[{ name: `${outside}/${token}-abs`, body: 'x' }]]],
      ['a file through a symlink to outside', [[{ name: 'evil', type: 'symlink', linkname: outside }, { name: `evil/${token}-through`, body: 'x' }]]],
      ['a file through a relative symlink', [[{ name: 'up', type: 'symlink', linkname: `../../../../../../../..${outside}` }, { name: `up/${token}-rel`, body: 'x' }]]],
      ['a symlink in one layer, a file through it in the next', [[{ name: 'later', type: 'symlink', linkname: outside }], [{ name: `later/${token}-layered`, body: 'x' }]]],
      ['a file over a symlink to a host file', [[{ name: 'victim', type: 'symlink', linkname: path.join(outside, 'victim') }], [{ name: 'victim', body: 'overwritten\n' }]]],
      ['a hard link to a host file', [[{ name: 'hard', type: 'link', linkname: path.join(outside, 'victim') }]]],
      ['a hard link through ../', [[{ name: 'hard2', type: 'link', linkname: `../../../../../../../..${outside}/victim` }]]],
      // Imported (tar keeps the last entry), and the directory's mode must not reach the victim.
      ['a directory, then a symlink to a host file in its place', [[{ name: 'moded/', type: 'directory', mode: 0o700 }, { name: 'moded', type: 'symlink', linkname: path.join(outside, 'victim') }]]],
    ];
    let refused = 0;
    const results = await Promise.all(
      layers.map(async ([, ls], i) => {
        const dir = path.join(e.dir, `layout-${i}`);
        await writeOciLayout(dir, `hostile:${i}`, { layers: ls, config: { Cmd: ['/payload'] } });
        return runAsync(e, ['image', 'import', dir, `hostile:${i}`]);
      }),
    );
    for (const [i, r] of results.entries()) {
      if (r.status !== 0) refused++;
      t.comment(`${layers[i]![0]}: ${r.status === 0 ? 'imported' : r.stderr.trim().split('\n')[0]}`);
    }
    t.same(fs.readdirSync(outside), ['victim'], 'nothing was written outside');
    t.equal(readOr(path.join(outside, 'victim')), 'kept\n', 'the host\'s file is as it was');
    t.equal(fs.statSync(path.join(outside, 'victim')).mode & 0o7777, 0o666, 'and its mode too (a replaced directory\'s mode once went through the symlink)');
    t.ok(refused >= 4, `the entries reaching outside were refused (${refused} of ${layers.length})`);
    // The twin: the same shapes kept inside the image import.
    const good = path.join(e.dir, 'layout-good');
    await writeOciLayout(good, 'benign:1', { layers: [[{ name: 'dir/', type: 'directory' }, { name: 'in', type: 'symlink', linkname: 'dir' }], [{ name: `dir/${token}`, body: 'x' }, { name: 'hard', type: 'link', linkname: `dir/${token}` }]], config: { Cmd: ['/payload'] } });
    t.equal(e.run(['image', 'import', good, 'benign:1']).status, 0, 'the twin: symlinks and hard links that stay inside import');
  });

  t.test('another user reaches none of root\'s state, sockets and logs', { skip: asRoot ? otherUser() : 'rootless: the second user is root itself, who may read anything' }, async (t) => {
    const paths = [e.root, path.join(e.root, 'pods'), path.join(e.root, 'serve.sock'), ...podFiles(e.root)];
    const script = `const fs=require('fs'),net=require('net');const out=[];(async()=>{for(const p of ${JSON.stringify(paths)}){let v='ok';try{if(p.endsWith('.sock'))await new Promise((res,rej)=>{const s=net.connect(p,()=>{s.destroy();res()});s.on('error',rej)});else if(fs.statSync(p).isDirectory())fs.readdirSync(p);else fs.readFileSync(p)}catch(e){v=e.code}out.push(v)}console.log(JSON.stringify(out))})()`;
    const as = (user: string[]) => JSON.parse(spawnSync(user[0]!, [...user.slice(1), process.execPath, '-e', script], { encoding: 'utf8' }).stdout || '[]') as string[];
    const other = as(['setpriv', '--reuid=podruntest', '--regid=podruntest', '--init-groups', '--reset-env']);
    t.equal(other.length, paths.length, 'each path was tried');
    for (const [i, p] of paths.entries()) t.not(other[i], 'ok', `${path.relative(e.dir, p)}: refused to another user (${other[i]})`);
    t.same(as(['env']), paths.map(() => 'ok'), 'the twin: root reaches them all');
  });

  t.test('a fork bomb stops at the pids limit and the host stays responsive', { skip: asRoot ? undefined : 'rootless on this cgroup v1 host: no delegated cgroup, so no pids limit (the engine says so once)' }, async (t) => {
    e.ok(['run', 'bomb', '--image=busybox:e2e', '--restart=Never', '--command', '--', '/payload', 'sleep', '3600']);
    const up = await e.until('bomb', (p) => p.status?.phase === 'Running', 60_000);
    t.ok(up, 'the pod runs');
    if (!up) return;
    const started = Date.now();
    // Bounded at 3000 so that, without a limit, it stops by itself; the default limit is 2048.
    const [verdict] = attempt(e, 'bomb', 'bomb', [['forkbomb', '3000']]);
    const [count, errno] = (verdict ?? '').split(' ');
    t.ok(Number(count) < 2048 && errno === 'EAGAIN', `fork fails with EAGAIN below 2048 processes (${verdict})`, { todo: WAITING.pids });
    t.ok(Date.now() - started < 60_000, 'the bomb ended within a minute');
    const host = spawnSync('/bin/true');
    t.equal(host.status, 0, 'the host still forks');
    t.same(attempt(e, 'bomb', 'bomb', [['forkbomb', '100']]), ['100 ok'], 'the twin: below the limit, every fork succeeds');
  });

  t.test('exec enters only a process in the pod\'s user namespace: a start record naming another is refused', { skip: asRoot && !/^podrun:/m.test(readOr('/etc/subuid')) ? 'no podrun entry in /etc/subuid (.ci/run adds it): hostUsers: false cannot be had' : undefined }, async (t) => {
    // The shim of a pod with its own user namespace (rootless, or hostUsers: false) writes the
    // start records: one taken over could name a host process, or another pod's, for exec to enter.
    e.ok(['apply', '-f', e.file('forged.yaml', `apiVersion: v1\nkind: Pod\nmetadata:\n  name: forged\nspec:\n${asRoot ? '  hostUsers: false\n' : ''}  containers:\n${container('a', 'busybox:e2e', ['sleep', '3600'])}`)]);
    t.ok(await e.until('forged', (p) => !!p.status?.containerStatuses?.[0]?.state?.running, 60_000), 'forged runs');
    const dir = fs.readdirSync(path.join(e.root, 'pods')).map((id) => path.join(e.root, 'pods', id)).find((d) => (JSON.parse(readOr(path.join(d, 'pod.json'), '{}')) as Pod).metadata?.name === 'forged');
    const record = path.join(dir ?? '', 'containers', 'a', '0.start.json');
    const real = readOr(record);
    t.ok(real, 'its start record is there');
    const exec = () => e.run(['exec', 'forged', '--', '/payload', 'cat', '/proc/self/uid_map']);
    t.equal(exec().status, 0, 'the twin: exec enters the container its record names');
    // This test's own process: alive, on the host, its start time right.
    const ticks = Number(readOr('/proc/self/stat').split(') ')[1]!.split(' ')[19]);
    fs.writeFileSync(record, JSON.stringify({ ...(JSON.parse(real) as object), pid: process.pid, startTime: ticks }) + '\n');
    try {
      const r = exec();
      t.equal(r.status, 1, 'a record naming a host process: exit 1');
      t.match(r.stderr, /process \d+ named by the container's start record is not in the pod's user namespace/, 'saying why');
    } finally {
      fs.writeFileSync(record, real);
    }
    t.equal(exec().status, 0, 'the real record again: exec enters');
    e.ok(['delete', 'pod', 'forged', '--grace-period=0']);
  });
});

/** Why the other user is missing, or undefined when podruntest exists. */
function otherUser(): string | undefined {
  return /^podruntest:/m.test(readOr('/etc/passwd')) ? undefined : 'no podruntest user on this machine (.ci/run makes it)';
}

/** Logs and sockets of root's pods. */
function podFiles(root: string): string[] {
  const out: string[] = [];
  for (const id of fs.readdirSync(path.join(root, 'pods'))) {
    const dir = path.join(root, 'pods', id);
    out.push(path.join(dir, 'shim.sock'), path.join(dir, 'pod.json'));
    for (const c of fs.existsSync(path.join(dir, 'containers')) ? fs.readdirSync(path.join(dir, 'containers')) : []) {
      const log = path.join(dir, 'containers', c, '0.log');
      if (fs.existsSync(log)) out.push(log);
    }
  }
  return out.slice(0, 12);
}
