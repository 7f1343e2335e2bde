// Images that arrive as files (issue 5, first part): an OCI image layout and a `docker save`
// archive, imported into the layer store (each layer unpacked once, digests checked) and run
// as overlayfs over the layers. Whiteouts, an opaque directory and hard links must come out as
// `umoci unpack` makes them; hostile and corrupt archives are refused with nothing left behind.
import t, { type Test } from 'tap';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BUSYBOX, PAYLOAD, execOut, idMapping, isDone, isRunning, logs, missingBusybox, missingFeature, mode, pod, setup, tempDir } from './harness';
import { entriesOf, storedLayers, writeDockerArchive, writeOciLayout, type Entry, type ImageSpec } from './oci-harness';

const missing = missingFeature() ?? missingBusybox();
if (missing) {
  t.comment(`skip: ${missing}`);
  t.plan(0, missing);
  process.exit(0);
}

/** The base layer: busybox, the payload, and files the next layer changes. */
function baseLayer(dir: string): Entry[] {
  const root = path.join(dir, 'base');
  fs.mkdirSync(path.join(root, 'bin'), { recursive: true });
  fs.copyFileSync(BUSYBOX, path.join(root, 'bin', 'busybox'));
  fs.chmodSync(path.join(root, 'bin', 'busybox'), 0o755);
  for (const l of ['sh', 'ls', 'cat', 'echo', 'stat', 'wget', 'timeout']) fs.symlinkSync('busybox', path.join(root, 'bin', l));
  fs.copyFileSync(PAYLOAD, path.join(root, 'payload'));
  fs.chmodSync(path.join(root, 'payload'), 0o755);
  for (const d of ['proc', 'sys', 'dev', 'etc', 'tmp']) fs.mkdirSync(path.join(root, d));
  return [
    ...entriesOf(root),
    { name: 'data/', type: 'directory' },
    { name: 'data/keep', body: 'kept\n' },
    { name: 'data/gone', body: 'deleted by the next layer\n' },
    { name: 'data/changed', body: 'old\n' },
    { name: 'opq/', type: 'directory' },
    { name: 'opq/old', body: 'hidden by the opaque directory\n' },
    { name: 'opq/sub/', type: 'directory' },
    { name: 'opq/sub/deep', body: 'also hidden\n' },
  ];
}

const TOP: Entry[] = [
  { name: 'data/.wh.gone', body: '' },
  { name: 'data/changed', body: 'new\n', mode: 0o600 },
  { name: 'data/file', body: 'linked twice\n' },
  { name: 'data/hardlink', type: 'link', linkname: 'data/file' },
  { name: 'data/symlink', type: 'symlink', linkname: '/data/file' },
  { name: 'opq/.wh..wh..opq', body: '' },
  { name: 'opq/new', body: 'only this\n' },
];

/** `payload tree /data` and `tree /opq` of the merged image: the whiteout's target gone, the
 * opaque directory holding only the top layer's entry, the hard link sharing its inode. */
const MERGED_TREE = ['changed f 600 4 1', 'file f 644 13 2', 'hardlink f 644 13 2', 'keep f 644 5 1', 'new f 644 10 1', 'symlink l 777 -> /data/file'].sort();

function spec(dir: string): ImageSpec {
  return {
    layers: [baseLayer(dir), TOP],
    config: { Entrypoint: ['/payload'], Cmd: ['echo', 'from-cmd'], Env: ['PATH=/bin', 'FROM_IMAGE=yes'], WorkingDir: '/data', ExposedPorts: { '8080/tcp': {} } },
  };
}

/** A fresh engine with the test image (spec()) imported under each of `refs`. */
async function withTestImage(t: Test, ...refs: string[]) {
  const env = await setup(t, { image: false });
  const dir = tempDir(t, 'podrun-oci-');
  const layout = await writeOciLayout(path.join(dir, 'layout'), '1', spec(dir));
  const images = [];
  for (const ref of refs) images.push(await env.podrun.images.importImage(layout.dir, ref));
  return { env, dir, layout, images };
}

t.test('an OCI layout: layers unpacked once, whiteouts and opaque dirs applied, config merged as Kubernetes does', async (t) => {
  const { env, dir, layout, images } = await withTestImage(t, 'oci/test:1');
  const img = images[0]!;
  t.equal(img.id, layout.configDigest, 'the image id is the config digest');
  t.equal(img.layers?.length, 2, 'two layers');
  t.same(img.config.exposedPorts, ['8080/tcp'], 'ExposedPorts kept');

  // The four command/args cases, against ENTRYPOINT ["/payload"] CMD ["echo", "from-cmd"].
  const c = (name: string, extra: object) => ({ name, image: 'oci/test:1', ...extra });
  await env.podrun.createPod(
    pod('oci', {
      restartPolicy: 'Never',
      containers: [
        c('neither', {}),
        c('args', { args: ['echo', 'from-args'] }),
        c('command', { command: ['/bin/echo', 'from-command'] }),
        c('both', { command: ['/bin/sh', '-c'], args: ['echo "$FROM_IMAGE in $(pwd)"'] }),
      ],
    }),
  );
  const done = await env.podrun.waitFor('oci', isDone, { timeoutMs: 15_000 });
  t.equal(done.status?.phase, 'Succeeded', JSON.stringify(done.status?.containerStatuses?.map((s) => s.state)));
  t.same(await logs(env.podrun, 'oci', { container: 'neither' }), ['from-cmd'], 'neither: ENTRYPOINT + CMD');
  t.same(await logs(env.podrun, 'oci', { container: 'args' }), ['from-args'], 'args only: ENTRYPOINT + args');
  t.same(await logs(env.podrun, 'oci', { container: 'command' }), ['from-command'], 'command only: CMD is ignored');
  t.same(await logs(env.podrun, 'oci', { container: 'both' }), ['yes in /data'], 'command and args; the image Env and WorkingDir apply');
  t.equal(done.status?.containerStatuses?.[0]?.imageID, layout.configDigest, 'imageID in the status');

  await env.podrun.createPod(pod('tree', { containers: [c('c', { command: ['/payload', 'sleep', '600'] })] }));
  await env.podrun.waitFor('tree', isRunning, { timeoutMs: 10_000 });
  const tree = (await execOut(env.podrun, 'tree', ['/payload', 'tree', '/data', '--then', 'tree', '/opq'])).stdout.split('\n').filter(Boolean).sort();
  t.same(
    tree,
    MERGED_TREE,
    'the merged view: whiteout gone, opaque dir shows only the top layer, hard links share an inode',
  );
  if (spawnSync('umoci', ['--version']).status === 0) {
    const bundle = path.join(dir, 'bundle');
    const u = spawnSync('umoci', ['unpack', '--rootless', '--image', `${layout.dir}:1`, bundle], { encoding: 'utf8' });
    t.equal(u.status, 0, `umoci unpack: ${u.stderr}`);
    const rootfs = path.join(bundle, 'rootfs');
    const theirs = [
      ...spawnSync(PAYLOAD, ['tree', path.join(rootfs, 'data')], { encoding: 'utf8' }).stdout.split('\n'),
      ...spawnSync(PAYLOAD, ['tree', path.join(rootfs, 'opq')], { encoding: 'utf8' }).stdout.split('\n'),
    ].filter(Boolean).sort();
    t.same(tree, theirs, 'exactly what umoci unpack makes of the same layout');
  } else {
    t.comment('umoci is not installed: the comparison with umoci unpack is skipped');
  }
});

t.test('two pods of one image share its layers; what one writes, nobody else sees', async (t) => {
  const { env, layout } = await withTestImage(t, 'oci/test:1', 'oci/again:2');
  const layersDir = path.join(env.dataRoot, 'layers');
  t.same(storedLayers(env.dataRoot), layout.diffIds.map((d) => d.slice(7)).sort(), 'each layer stored once, by DiffID');
  for (const name of ['one', 'two']) {
    await env.podrun.createPod(pod(name, { containers: [{ name: 'c', image: name === 'one' ? 'oci/test:1' : 'oci/again:2', command: ['/payload', 'sleep', '600'] }] }));
  }
  await env.podrun.waitFor('one', isRunning, { timeoutMs: 10_000 });
  await env.podrun.waitFor('two', isRunning, { timeoutMs: 10_000 });
  // The root's lower layers as mountinfo lists them: `lowerdir=a:b` from mount(2), or one
  // `lowerdir+=` option per layer from the new mount API.
  const lowers = async (name: string) => {
    const root = (await execOut(env.podrun, name, ['/bin/cat', '/proc/self/mountinfo'])).stdout.split('\n').find((l) => / \/ \/ /.test(l)) ?? '';
    return [...root.matchAll(/lowerdir\+?=([^,\s]+)/g)].map((m) => m[1]).join(':');
  };
  const [l1, l2] = [await lowers('one'), await lowers('two')];
  const rootOf = async (name: string) => (await execOut(env.podrun, name, ['/bin/cat', '/proc/self/mountinfo'])).stdout.split('\n').find((l) => / \/ \/ /.test(l)) ?? '';
  // The writable layer serves one attempt: no sync of it (volatile), where the kernel has the new mount API.
  const root = await rootOf('one');
  if (/lowerdir\+=/.test(root)) t.match(root, /[ ,](fsync=)?volatile\b/, "mounted volatile (fsync=volatile, as 6.x kernels say it)");
  t.ok(l1.split(':').length === 2 && l1.split(':').every((d) => d.startsWith(layersDir)), 'the overlay stacks the two stored layers');
  t.equal(l1, l2, 'both containers stack the same layer directories');
  await execOut(env.podrun, 'one', ['/bin/sh', '-c', 'echo written-by-pod-one-7f3a > /data/keep && echo x > /data/newfile']);
  t.equal((await execOut(env.podrun, 'one', ['/bin/cat', '/data/keep'])).stdout, 'written-by-pod-one-7f3a\n', 'the writer sees its write');
  t.equal((await execOut(env.podrun, 'two', ['/bin/cat', '/data/keep'])).stdout, 'kept\n', 'the other pod does not');
  t.notOk((await execOut(env.podrun, 'two', ['/bin/stat', '/data/newfile'])).exitCode === 0, 'nor its new file');
  const inLayers = spawnSync('grep', ['-rl', 'written-by-pod-one-7f3a', layersDir], { encoding: 'utf8' }).stdout;
  t.equal(inLayers, '', 'and the image layers are unchanged');
});

t.test('zstd-compressed layers', { skip: spawnSync('sh', ['-c', 'command -v zstd']).status === 0 ? false : 'needs zstd' }, async (t) => {
  const env = await setup(t, { image: false });
  const dir = tempDir(t, 'podrun-oci-');
  const layout = await writeOciLayout(path.join(dir, 'layout'), '1', spec(dir), 'zstd');
  const img = await env.podrun.images.importImage(layout.dir, 'oci/zstd:1');
  t.equal(img.layers?.length, 2, 'both layers unpacked');
  await env.podrun.createPod(pod('z', { restartPolicy: 'Never', containers: [{ name: 'c', image: 'oci/zstd:1', command: ['/payload', 'cat', '/opq/new'] }] }));
  await env.podrun.waitFor('z', isDone, { timeoutMs: 15_000 });
  t.same(await logs(env.podrun, 'z', { container: 'c' }), ['only this'], 'the top layer is there');
});

t.test("an image's USER by name, from its own /etc/passwd and /etc/group", { skip: mode === 'rootless' && idMapping !== 'subid' ? 'needs more than one mapped id (PODRUN_ID_MAPPING=subid)' : false }, async (t) => {
  const env = await setup(t, { image: false });
  const dir = tempDir(t, 'podrun-oci-');
  const s = spec(dir);
  s.layers.push([
    { name: 'etc/', type: 'directory' },
    { name: 'etc/passwd', body: 'root:x:0:0::/root:/bin/sh\nweb:x:101:102::/srv:/bin/sh\n' },
    { name: 'etc/group', body: 'root:x:0:\nweb:x:102:\nstaff:x:50:\n' },
  ]);
  s.config = { ...s.config, User: 'web' };
  const layout = await writeOciLayout(path.join(dir, 'layout'), '1', s);
  await env.podrun.images.importImage(layout.dir, 'oci/user:1');
  const run = async (name: string, extra: object) => {
    await env.podrun.createPod(pod(name, { restartPolicy: 'Never', containers: [{ name: 'c', image: 'oci/user:1', command: ['/payload', 'id'], ...extra }] }));
    const p = await env.podrun.waitFor(name, (p) => isDone(p) || !!p.status?.containerStatuses?.[0]?.state?.waiting?.message, { timeoutMs: 15_000 });
    return { p, out: isDone(p) ? (await logs(env.podrun, name, { container: 'c' }))[0] : undefined };
  };
  t.match((await run('named', {})).out, /^uid=101 gid=102 /, 'USER web runs as 101:102');
  t.match((await run('overridden', { securityContext: { runAsUser: 0 } })).out, /^uid=0 gid=0 /, 'runAsUser wins');
  const nonRoot = await run('nonroot', { securityContext: { runAsNonRoot: true } });
  t.match(nonRoot.p.status?.containerStatuses?.[0]?.state?.waiting?.message, /image has non-numeric user \(web\), cannot verify user is non-root/, "runAsNonRoot cannot vouch for a name, as the kubelet says");
});

t.test('an image of 60 layers: more than one page of overlay options, mounted a layer at a time', async (t) => {
  const env = await setup(t, { image: false });
  const dir = tempDir(t, 'podrun-oci-');
  const s = spec(dir);
  // Each layer adds a file and replaces /stack/top, so the top layer must win.
  for (let i = 1; i <= 58; i++) s.layers.push([{ name: 'stack/', type: 'directory' }, { name: `stack/l${i}`, body: `${i}\n` }, { name: 'stack/top', body: `${i}\n` }]);
  const layout = await writeOciLayout(path.join(dir, 'layout'), '1', s);
  const img = await env.podrun.images.importImage(layout.dir, 'oci/deep:1');
  t.equal(img.layers?.length, 60, 'sixty layers');
  t.ok(img.layers!.join(':').length > 4096, `their paths (${img.layers!.join(':').length} bytes) do not fit in mount(2)'s one page`);
  await env.podrun.createPod(pod('deep', { restartPolicy: 'Never', containers: [{ name: 'c', image: 'oci/deep:1', command: ['/bin/sh', '-c', 'cat /stack/l1 /stack/l58 /stack/top /data/keep; grep " / / " /proc/self/mountinfo'] }] }));
  const p = await env.podrun.waitFor('deep', isDone, { timeoutMs: 15_000 });
  t.equal(p.status?.phase, 'Succeeded', 'the container ran on them');
  const out = await logs(env.podrun, 'deep', { container: 'c' });
  t.same(out.slice(0, 4), ['1', '58', '58', 'kept'], 'every layer is there, the top one wins');
  t.match(out[4], / - overlay overlay /, 'through overlayfs (not the copy fallback)');
});

t.test('a docker save archive imports the same way', async (t) => {
  const env = await setup(t, { image: false });
  const dir = tempDir(t, 'podrun-oci-');
  await writeDockerArchive(path.join(dir, 'saved'), 'saved/app:3', spec(dir));
  const img = await env.podrun.images.importImage(path.join(dir, 'saved'), 'saved/app:3');
  t.equal(img.layers?.length, 2);
  await env.podrun.createPod(pod('d', { restartPolicy: 'Never', containers: [{ name: 'c', image: 'saved/app:3' }] }));
  const p = await env.podrun.waitFor('d', isDone, { timeoutMs: 15_000 });
  t.equal(p.status?.phase, 'Succeeded');
  t.same(await logs(env.podrun, 'd', { container: 'c' }), ['from-cmd']);
});

t.test('corrupt and hostile archives are refused, and leave nothing behind', async (t) => {
  const env = await setup(t, { image: false });
  const dir = tempDir(t, 'podrun-oci-');
  const layersDir = path.join(env.dataRoot, 'layers');
  const stored = () => (fs.existsSync(layersDir) ? fs.readdirSync(layersDir).filter((n) => !n.startsWith('.pins')) : []);

  const good = await writeOciLayout(path.join(dir, 'corrupt'), '1', spec(dir));
  const blob = path.join(good.dir, 'blobs', 'sha256', good.layerDigests[1]!.slice(7));
  const bytes = fs.readFileSync(blob);
  bytes[bytes.length - 1] ^= 0xff;
  fs.writeFileSync(blob, bytes);
  await t.rejects(env.podrun.images.importImage(good.dir, 'bad/corrupt:1'), /blob sha256:[0-9a-f]{64} has digest sha256:/, 'a blob that does not match its digest');

  const outside = path.join(dir, 'outside');
  fs.mkdirSync(outside);
  const hostile: [string, Entry[]][] = [
    ['a ../ path', [{ name: '../escape', body: 'x' }]],
    ['a write through a symlink to outside', [{ name: 'evil', type: 'symlink', linkname: outside }, { name: 'evil/planted', body: 'x' }]],
    ['a hard link to an outside path', [{ name: 'hl', type: 'link', linkname: '../../../../etc/passwd' }]],
  ];
  for (const [what, entries] of hostile) {
    const l = await writeOciLayout(path.join(dir, what.replace(/\W+/g, '-')), '1', { layers: [entries], config: {} });
    await t.rejects(env.podrun.images.importImage(l.dir, 'bad/hostile:1'), /unsafe archive entry/, `${what}: refused with a clear error`);
  }
  t.same(fs.readdirSync(outside), [], 'nothing was written outside');
  t.same(stored(), [], 'no layer (and no partial one) was stored');
  t.same(env.podrun.images.list().filter((i) => i.name.startsWith('bad/')), [], 'no image was recorded');
});

t.test('removing the last image that uses a layer removes the layer', async (t) => {
  const { env } = await withTestImage(t, 'oci/test:1', 'oci/again:2');
  const count = () => storedLayers(env.dataRoot).length;
  env.podrun.images.remove('oci/test:1');
  t.equal(count(), 2, 'another tag still names the image');
  env.podrun.images.remove('oci/again:2');
  t.equal(count(), 0, 'the last one gone: so are its layers');
});

t.test('image prune removes what no pod uses, and keeps what one does', async (t) => {
  const env = await setup(t, { image: false });
  const dir = tempDir(t, 'podrun-oci-');
  const used = await writeOciLayout(path.join(dir, 'used'), '1', spec(dir));
  const unused = await writeOciLayout(path.join(dir, 'unused'), '1', { layers: [[{ name: 'only-here', body: 'x' }]], config: {} });
  await env.podrun.images.importImage(used.dir, 'oci/used:1');
  await env.podrun.images.importImage(unused.dir, 'oci/unused:1');
  await env.podrun.createPod(pod('user', { containers: [{ name: 'c', image: 'oci/used:1', command: ['/payload', 'sleep', '600'] }] }));
  await env.podrun.waitFor('user', isRunning, { timeoutMs: 10_000 });
  t.same(await env.podrun.pruneImages(), ['oci/unused:1'], 'only the unused image goes');
  t.ok(env.podrun.images.get('oci/used:1'), 'the one a pod uses stays');
  t.notOk(fs.existsSync(path.join(env.dataRoot, 'layers', unused.diffIds[0]!.slice(7))), "and the removed image's own layer is gone");
});

/**
 * Two pods of the test image with PODRUN_ROOTFS=`driver`: the merged tree as overlay (and umoci)
 * shows it, and a write in one seen neither in the other nor in the layers. Returns the
 * mountinfo line of the first one's root.
 */
async function twoPodsWithDriver(t: Test, driver: string, names: [string, string]) {
  process.env.PODRUN_ROOTFS = driver;
  t.teardown(() => delete process.env.PODRUN_ROOTFS);
  const { env } = await withTestImage(t, 'oci/test:1');
  for (const name of names) await env.podrun.createPod(pod(name, { containers: [{ name: 'c', image: 'oci/test:1', command: ['/payload', 'sleep', '600'] }] }));
  for (const name of names) await env.podrun.waitFor(name, isRunning, { timeoutMs: 10_000 });
  const [a, b] = names;
  const tree = (await execOut(env.podrun, a, ['/payload', 'tree', '/data', '--then', 'tree', '/opq'])).stdout.split('\n').filter(Boolean).sort();
  t.same(tree, MERGED_TREE, 'whiteouts, the opaque directory and hard links as overlay (and umoci) show them');
  const marker = `${driver}-driver-write-1b2c`;
  await execOut(env.podrun, a, ['/bin/sh', '-c', `echo ${marker} > /data/keep`]);
  t.equal((await execOut(env.podrun, b, ['/bin/cat', '/data/keep'])).stdout, 'kept\n', 'a write in one container is not seen in the other');
  t.equal(spawnSync('grep', ['-rl', marker, path.join(env.dataRoot, 'layers')], { encoding: 'utf8' }).stdout, '', 'nor in the layers');
  const rootLine = (await execOut(env.podrun, a, ['/bin/cat', '/proc/self/mountinfo'])).stdout.split('\n').find((l) => / \/ \/ /.test(l)) ?? '';
  return { env, rootLine };
}

t.test('the copy driver (where overlayfs cannot mount): the same tree, private to the container', async (t) => {
  const { rootLine } = await twoPodsWithDriver(t, 'copy', ['c1', 'c2']);
  t.notMatch(rootLine, /overlay/, 'the root is not an overlay');
});

function fuseUnavailable(): string | false {
  if (spawnSync('sh', ['-c', 'command -v fuse-overlayfs']).status !== 0) return 'needs fuse-overlayfs (Debian package fuse-overlayfs)';
  try {
    fs.accessSync('/dev/fuse', fs.constants.R_OK | fs.constants.W_OK);
  } catch {
    return '/dev/fuse cannot be opened by this user';
  }
  return mode === 'root' ? false : 'rootless: fuse mounts need /dev/fuse in the user namespace';
}

/** fuse-overlayfs processes whose mount options mention `dir`. */
const fuseDaemons = (dir: string) =>
  fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p)).filter((p) => {
    try {
      const argv = fs.readFileSync(`/proc/${p}/cmdline`, 'utf8');
      return argv.includes('fuse-overlayfs') && argv.includes(dir);
    } catch {
      return false;
    }
  });

t.test('the fuse-overlayfs driver (where the kernel overlay cannot mount): the same tree, private writes, nothing left', { skip: fuseUnavailable() }, async (t) => {
  const { env, rootLine } = await twoPodsWithDriver(t, 'fuse-overlayfs', ['f1', 'f2']);
  t.match(rootLine, /fuse\.fuse-overlayfs/, 'the root is a fuse-overlayfs mount');
  t.equal(fuseDaemons(env.root).length, 2, 'one fuse-overlayfs per running container');

  await env.podrun.createPod(pod('once', { restartPolicy: 'Never', containers: [{ name: 'c', image: 'oci/test:1', command: ['/payload', 'echo', 'ran'] }] }));
  const once = await env.podrun.waitFor('once', isDone, { timeoutMs: 10_000 });
  t.equal(once.status?.phase, 'Succeeded', 'a container that runs to its end');
  t.same(await logs(env.podrun, 'once', { container: 'c' }), ['ran'], 'with its output');
  for (let i = 0; i < 100 && fuseDaemons(env.root).length > 2; i++) await new Promise((r) => setTimeout(r, 20));
  t.equal(fuseDaemons(env.root).length, 2, "an exited container's fuse-overlayfs is gone");

  for (const name of ['f1', 'f2', 'once']) await env.podrun.deletePod(name, { gracePeriodSeconds: 0 });
  for (let i = 0; i < 100 && fuseDaemons(env.root).length; i++) await new Promise((r) => setTimeout(r, 20));
  t.same(fuseDaemons(env.root), [], 'deleting the pods leaves no fuse-overlayfs behind');
  t.notMatch(fs.readFileSync('/proc/self/mountinfo', 'utf8'), new RegExp(env.root.replace(/[.*+?^${}()|[\]\\]/g, '\\$&') + '.*fuse'), 'and no mount on the host');
});

t.test('a layered image as an image volume: its layers put together, read-only, as the container root shows them', async (t) => {
  const { env } = await withTestImage(t, 'oci/test:1');
  const c = (name: string, command: string[]) => ({ name, image: 'oci/test:1', command });
  await env.podrun.createPod(
    pod('imgvol', {
      containers: [{ ...c('c', ['/payload', 'sleep', '600']), volumeMounts: [{ name: 'img', mountPath: '/mnt/img' }] }],
      volumes: [{ name: 'img', image: { reference: 'oci/test:1' } } as never],
    }),
  );
  await env.podrun.waitFor('imgvol', isRunning, { timeoutMs: 10_000 });
  const tree = (await execOut(env.podrun, 'imgvol', ['/payload', 'tree', '/mnt/img/data', '--then', 'tree', '/mnt/img/opq'])).stdout.split('\n').filter(Boolean).sort();
  t.same(tree, MERGED_TREE, 'whiteouts, the opaque directory and hard links applied, as in the root');
  t.not((await execOut(env.podrun, 'imgvol', ['/bin/sh', '-c', 'echo x > /mnt/img/data/keep'])).exitCode, 0, 'read-only');
});
