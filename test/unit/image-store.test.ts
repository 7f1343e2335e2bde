// The local image store: references, directory and tar imports, the index under concurrent
// importers, hostile archives, and the host root layout. No privileges needed; a few
// assertions differ as root (ownership, device nodes) and say so.

import t from 'tap';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pipeline } from 'node:stream/promises';
import * as zlib from 'node:zlib';
import * as tar from 'tar-stream';
import { hostRootLayout } from '../../src/image/host';
import { parseImageRef } from '../../src/image/reference';
import { ImageStore } from '../../src/image/store';

const asRoot = process.geteuid?.() === 0;

function tempDir(t: tap.Test, prefix = 'podrun-image-'): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  t.teardown(() => {
    // make read-only dirs removable first (the test trees contain 0555 dirs)
    const fix = (p: string): void => {
      const st = fs.lstatSync(p);
      if (!st.isDirectory()) return;
      fs.chmodSync(p, 0o700);
      for (const n of fs.readdirSync(p)) fix(path.join(p, n));
    };
    if (fs.existsSync(d)) fix(d);
    fs.rmSync(d, { recursive: true, force: true });
  });
  return d;
}

interface TarEntry {
  header: Partial<tar.Header> & { name: string };
  body?: string;
}

async function makeTar(file: string, entries: TarEntry[], gzip = false): Promise<string> {
  const pack = tar.pack();
  for (const e of entries) {
    if (e.body !== undefined) pack.entry({ size: Buffer.byteLength(e.body), ...e.header }, e.body);
    else pack.entry(e.header);
  }
  pack.finalize();
  if (gzip) await pipeline(pack, zlib.createGzip(), fs.createWriteStream(file));
  else await pipeline(pack, fs.createWriteStream(file));
  return file;
}

const mode = (p: string): number => fs.lstatSync(p).mode & 0o7777;

t.test('parseImageRef', async (t) => {
  t.same(parseImageRef('busybox'), { name: 'busybox', tag: 'latest' });
  t.same(parseImageRef('busybox:1.36'), { name: 'busybox', tag: '1.36' });
  t.same(parseImageRef('local/app:v1'), { name: 'local/app', tag: 'v1' });
  t.same(parseImageRef('127.0.0.1:15000/test/busybox:1.35'), { name: '127.0.0.1:15000/test/busybox', tag: '1.35' });
  t.same(parseImageRef('localhost:5000/app'), { name: 'localhost:5000/app', tag: 'latest' });
  for (const bad of ['', 'BusyBox', 'busybox:', ':tag', 'a//b', 'app/', '-app', 'app:bad/tag', 'app@sha256:abcd', 'a b', 'app:.x']) {
    t.throws(() => parseImageRef(bad), { code: 'Invalid', name: 'PodrunError' }, `rejects ${JSON.stringify(bad)}`);
  }
});

t.test('import a directory, then list, get and remove', async (t) => {
  const base = tempDir(t);
  const src = path.join(base, 'src');
  fs.mkdirSync(path.join(src, 'bin'), { recursive: true });
  fs.writeFileSync(path.join(src, 'bin', 'tool'), '#!/bin/sh\necho hi\n', { mode: 0o755 });
  fs.chmodSync(path.join(src, 'bin', 'tool'), 0o4755);
  fs.writeFileSync(path.join(src, 'secret'), 'x', { mode: 0o600 });
  fs.chmodSync(path.join(src, 'secret'), 0o600);
  fs.linkSync(path.join(src, 'secret'), path.join(src, 'secret.hard'));
  fs.symlinkSync('bin/tool', path.join(src, 'link'));
  fs.symlinkSync('/nonexistent/target', path.join(src, 'dangling'));
  fs.mkdirSync(path.join(src, 'ro'));
  fs.writeFileSync(path.join(src, 'ro', 'inside'), 'y');
  fs.chmodSync(path.join(src, 'ro'), 0o555);

  const data = path.join(base, 'data');
  const store = new ImageStore(data);
  t.same(store.list().map((i) => i.name), ['host'], 'a new store lists only the built-in image');

  const rec = await store.importImage(src, 'local/app:v1', { cmd: ['/bin/tool'], env: ['A=1'] });
  t.equal(rec.name, 'local/app');
  t.equal(rec.tag, 'v1');
  t.match(rec.id, /^sha256:[0-9a-f]{64}$/);
  t.ok(path.isAbsolute(rec.rootfs));
  t.same(rec.config, { cmd: ['/bin/tool'], env: ['A=1'] });
  t.ok(!Number.isNaN(Date.parse(rec.created)), 'created is a date');
  t.ok(rec.size > 0, 'size counts content');

  const r = rec.rootfs;
  t.equal(fs.readFileSync(path.join(r, 'bin', 'tool'), 'utf8'), '#!/bin/sh\necho hi\n');
  t.equal(mode(path.join(r, 'bin', 'tool')), 0o4755, 'set-uid bit kept');
  t.equal(mode(path.join(r, 'secret')), 0o600);
  t.equal(fs.lstatSync(path.join(r, 'secret')).ino, fs.lstatSync(path.join(r, 'secret.hard')).ino, 'hard link kept');
  t.equal(fs.readlinkSync(path.join(r, 'link')), 'bin/tool');
  t.equal(fs.readlinkSync(path.join(r, 'dangling')), '/nonexistent/target', 'symlink copied, not followed');
  t.equal(mode(path.join(r, 'ro')), 0o555, 'read-only dir mode kept');
  t.equal(fs.readFileSync(path.join(r, 'ro', 'inside'), 'utf8'), 'y');

  const images = path.join(data, 'images');
  t.equal(mode(images), 0o700, 'images dir owner-only');
  t.equal(mode(path.dirname(r)), 0o700, 'image dir owner-only');
  t.equal(mode(path.join(images, 'index.json')) & 0o077, 0, 'index owner-only');
  t.ok(fs.existsSync(path.join(path.dirname(r), 'image.json')));

  // The same content and config under a second name is one image.
  const again = await store.importImage(src, 'app2', { cmd: ['/bin/tool'], env: ['A=1'] });
  t.equal(again.id, rec.id, 'same content, same id');
  t.equal(again.rootfs, rec.rootfs, 'stored once');
  t.equal(again.created, rec.created, 'keeps the first import time');
  const other = await store.importImage(src, 'app3', { cmd: ['/bin/other'] });
  t.not(other.id, rec.id, 'config is part of the id');

  t.same(
    store.list().map((i) => `${i.name}:${i.tag}`),
    ['host:latest', 'app2:latest', 'app3:latest', 'local/app:v1'],
  );
  t.same(store.get('local/app:v1'), rec);
  t.equal(store.get('local/app'), undefined, 'tag latest is not v1');
  t.equal(store.get('nothing'), undefined);

  store.remove('local/app:v1');
  t.equal(store.get('local/app:v1'), undefined);
  t.ok(fs.existsSync(rec.rootfs), 'content stays while app2 names it');
  store.remove('app2');
  t.notOk(fs.existsSync(path.dirname(rec.rootfs)), 'content goes with its last name, read-only dirs and all');
  t.throws(() => store.remove('app2'), { code: 'NotFound' });

  // Re-pointing a name at new content drops the old content.
  const v2src = path.join(base, 'v2');
  fs.mkdirSync(v2src);
  fs.writeFileSync(path.join(v2src, 'f'), 'v2');
  const v2 = await store.importImage(v2src, 'app3', { cmd: ['/bin/other'] });
  t.not(v2.id, other.id);
  t.notOk(fs.existsSync(path.dirname(other.rootfs)), 'old content of a re-pointed name removed');
  t.same(fs.readdirSync(images).sort(), [path.basename(path.dirname(v2.rootfs)), 'index.json'].sort(), 'nothing else left');
});

t.test('built-in host image', async (t) => {
  const store = new ImageStore(tempDir(t));
  const host = store.get('host');
  t.match(host, {
    name: 'host',
    tag: 'latest',
    builtin: true,
    rootfs: '',
    config: { env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'], cmd: ['/bin/sh'] },
  });
  t.match(host?.id, /^sha256:[0-9a-f]{64}$/);
  t.same(store.get('host:latest'), host);
  t.equal(store.list()[0]?.name, 'host');
  t.throws(() => store.remove('host'), { code: 'Conflict' });
  await t.rejects(store.importImage(tempDir(t), 'host'), { code: 'AlreadyExists' });
});

t.test('config is validated with field paths', async (t) => {
  const store = new ImageStore(tempDir(t));
  const src = tempDir(t);
  await t.rejects(store.importImage(src, 'x', { env: ['NOEQUALS'] }), { code: 'Invalid', field: 'config.env[0]' });
  await t.rejects(store.importImage(src, 'x', { workingDir: 'rel' }), { code: 'Invalid', field: 'config.workingDir' });
  await t.rejects(store.importImage(src, 'Bad'), { code: 'Invalid' });
  await t.rejects(store.importImage(path.join(src, 'missing'), 'x'), { code: 'NotFound' });
});

t.test('import a tar, plain and gzip', async (t) => {
  const base = tempDir(t);
  const entries: TarEntry[] = [
    { header: { name: './', type: 'directory', mode: 0o755 } },
    { header: { name: 'bin/', type: 'directory', mode: 0o755 } },
    { header: { name: 'bin/busybox', type: 'file', mode: 0o755 }, body: 'ELF-ish' },
    { header: { name: 'bin/sh', type: 'symlink', linkname: 'busybox' } },
    { header: { name: 'bin/ash', type: 'link', linkname: 'bin/busybox' } },
    // no entry for etc/: implied parent directories are created
    { header: { name: 'etc/passwd', type: 'file', mode: 0o644 }, body: 'root:x:0:0::/root:/bin/sh\n' },
    { header: { name: 'tmp/', type: 'directory', mode: 0o1777 } },
    { header: { name: 'proc/', type: 'directory', mode: 0o555 } },
    { header: { name: 'dev/', type: 'directory', mode: 0o755 } },
    { header: { name: 'dev/null', type: 'character-device', mode: 0o666, devmajor: 1, devminor: 3 } },
    { header: { name: 'dev/fifo', type: 'fifo', mode: 0o600 } },
    { header: { name: 'owned', type: 'file', mode: 0o640, uid: 1234, gid: 4321 }, body: 'o' },
  ];
  const store = new ImageStore(path.join(base, 'data'));
  for (const gzip of [false, true]) {
    const file = await makeTar(path.join(base, gzip ? 'img.tar.gz' : 'img.tar'), entries, gzip);
    const rec = await store.importImage(file, gzip ? 'bb:gz' : 'bb:plain', { cmd: ['/bin/sh'] });
    const r = rec.rootfs;
    t.equal(fs.readFileSync(path.join(r, 'bin/busybox'), 'utf8'), 'ELF-ish', `${gzip ? 'gzip' : 'plain'}: file`);
    t.equal(mode(path.join(r, 'bin/busybox')), 0o755);
    t.equal(fs.readlinkSync(path.join(r, 'bin/sh')), 'busybox');
    t.equal(fs.lstatSync(path.join(r, 'bin/ash')).ino, fs.lstatSync(path.join(r, 'bin/busybox')).ino, 'hard link');
    t.equal(fs.readFileSync(path.join(r, 'etc/passwd'), 'utf8'), 'root:x:0:0::/root:/bin/sh\n');
    t.equal(mode(path.join(r, 'tmp')), 0o1777, 'sticky tmp');
    t.equal(mode(path.join(r, 'proc')), 0o555);
    t.equal(mode(r), 0o755, 'root dir mode from ./');
    t.ok(fs.lstatSync(path.join(r, 'dev/fifo')).isFIFO(), 'fifo');
    if (asRoot) {
      t.ok(fs.lstatSync(path.join(r, 'dev/null')).isCharacterDevice(), 'device node made as root');
      t.equal(fs.lstatSync(path.join(r, 'owned')).uid, 1234, 'ownership applied as root');
    } else {
      t.notOk(fs.existsSync(path.join(r, 'dev/null')), 'device node skipped as non-root');
      t.equal(fs.lstatSync(path.join(r, 'owned')).uid, process.geteuid?.(), 'ownership ignored as non-root');
    }
  }
  t.equal(store.get('bb:gz')?.id, store.get('bb:plain')?.id, 'compression does not change the id');

  const junk = path.join(base, 'junk.tar');
  fs.writeFileSync(junk, Buffer.alloc(2000, 0x41));
  await t.rejects(store.importImage(junk, 'junk'), { code: 'Invalid', message: /cannot read archive/ });
  t.equal(store.get('junk'), undefined);
});

t.test('the index survives concurrent imports', async (t) => {
  const base = tempDir(t);
  const data = path.join(base, 'data');
  const srcs: string[] = [];
  for (let i = 0; i < 4; i++) {
    const s = path.join(base, `src${i}`);
    fs.mkdirSync(s);
    fs.writeFileSync(path.join(s, 'n'), String(i));
    srcs.push(s);
  }
  const store = new ImageStore(data);

  // In one process: async importers interleave everywhere except in the locked section.
  const inproc = Array.from({ length: 12 }, (_, i) => store.importImage(srcs[i % 4]!, `in${i}`));
  // Across processes: each worker imports several refs in a row.
  const worker = path.join(__dirname, 'fixtures', 'image-import-worker.ts');
  const procs = Array.from({ length: 3 }, (_, w) =>
    new Promise<number | null>((resolve) => {
      const refs = Array.from({ length: 4 }, (_, i) => `proc${w}-${i}`);
      const child = spawn(process.execPath, [...process.execArgv, worker, data, srcs[w]!, ...refs], { stdio: ['ignore', 'inherit', 'inherit'] });
      child.on('exit', resolve);
    }),
  );
  const [recs, codes] = await Promise.all([Promise.all(inproc), Promise.all(procs)]);
  t.same(codes, [0, 0, 0], 'worker processes succeeded');

  const index = JSON.parse(fs.readFileSync(path.join(data, 'images', 'index.json'), 'utf8')) as { refs: Record<string, string> };
  t.equal(Object.keys(index.refs).length, 12 + 12, 'every ref is in the index');
  for (let i = 0; i < 12; i++) t.equal(index.refs[`in${i}:latest`], recs[i]!.id);
  const ids = new Set(Object.values(index.refs));
  t.equal(ids.size, 4, 'four contents, four ids');
  for (const id of ids) t.ok(fs.existsSync(path.join(data, 'images', id.slice(7), 'rootfs', 'n')));
  const leftovers = fs.readdirSync(path.join(data, 'images')).filter((n) => n.startsWith('.'));
  t.same(leftovers, [], 'no temp dirs or lock left');
  t.equal(store.list().length, 1 + 24);
});

t.test('a lock left by a dead importer is broken', async (t) => {
  const base = tempDir(t);
  const data = path.join(base, 'data');
  const src = path.join(base, 'src');
  fs.mkdirSync(src);
  fs.writeFileSync(path.join(src, 'f'), 'f');
  // a pid that has exited
  const dead = spawn(process.execPath, ['-e', '0']);
  await new Promise((r) => dead.on('exit', r));
  const lock = path.join(data, 'images', '.lock');
  fs.mkdirSync(lock, { recursive: true });
  fs.writeFileSync(path.join(lock, 'owner'), JSON.stringify({ pid: dead.pid, startTime: '1' }));
  fs.mkdirSync(path.join(data, 'images', `.tmp-${dead.pid}-abandoned`, 'rootfs'), { recursive: true });

  const store = new ImageStore(data);
  const rec = await store.importImage(src, 'after-crash');
  t.equal(store.get('after-crash')?.id, rec.id);
  t.same(fs.readdirSync(path.join(data, 'images')).filter((n) => n.startsWith('.')), [], 'stale lock and temp dir swept');
});

t.test('a directory source is resolved and never contains the store', async (t) => {
  const base = tempDir(t);
  const src = path.join(base, 'src');
  fs.mkdirSync(src);
  fs.writeFileSync(path.join(src, 'f'), 'f');
  fs.symlinkSync(src, path.join(base, 'via-link'));
  // the data root inside the source: the copy must not recurse into itself
  const store = new ImageStore(path.join(src, 'data'));
  const rec = await store.importImage(path.join(base, 'via-link'), 'self');
  t.ok(fs.lstatSync(rec.rootfs).isDirectory(), 'rootfs is a directory, not the symlink');
  t.same(fs.readdirSync(rec.rootfs).sort(), ['data', 'f'], 'data root copied as an empty shell');
  t.same(fs.readdirSync(path.join(rec.rootfs, 'data')), [], 'store not copied into itself');
});

t.test('hostile tars are refused and leave nothing behind', async (t) => {
  const base = tempDir(t);
  const sentinel = path.join(base, 'sentinel');
  fs.mkdirSync(sentinel);
  const etcProbe = `podrun-test-${process.pid}-${Date.now()}`;
  t.teardown(() => fs.rmSync(path.join('/etc', etcProbe), { force: true }));

  const ok: TarEntry = { header: { name: 'fine', type: 'file', mode: 0o644 }, body: 'fine' };
  const cases: Array<[string, TarEntry[], RegExp]> = [
    ['dot-dot', [ok, { header: { name: '../x', type: 'file' }, body: 'x' }], /"\.\.\/x".*".." component/],
    ['dot-dot deep', [{ header: { name: 'a/../../sentinel/x', type: 'file' }, body: 'x' }], /".." component/],
    ['absolute', [ok, { header: { name: '/abs', type: 'file' }, body: 'x' }], /absolute name "\/abs"/],
    ['absolute into sentinel', [{ header: { name: `${sentinel}/x`, type: 'file' }, body: 'x' }], /absolute name/],
    [
      'symlink to / then through it',
      [
        { header: { name: 'evil', type: 'symlink', linkname: '/' } },
        { header: { name: `evil/etc/${etcProbe}`, type: 'file' }, body: 'x' },
      ],
      /parent "evil" is a symlink/,
    ],
    [
      'symlink to sentinel then through it',
      [
        { header: { name: 'evil', type: 'symlink', linkname: sentinel } },
        { header: { name: 'evil/x', type: 'file' }, body: 'x' },
      ],
      /parent "evil" is a symlink/,
    ],
    [
      'relative symlink out then a directory through it',
      [
        { header: { name: 'up', type: 'symlink', linkname: '../../../../../../..' + sentinel } },
        { header: { name: 'up/d/', type: 'directory' } },
      ],
      /parent "up" is a symlink/,
    ],
    ['hard link to /etc/passwd', [ok, { header: { name: 'pw', type: 'link', linkname: '/etc/passwd' } }], /absolute hard link target/],
    ['hard link up to etc/passwd', [{ header: { name: 'pw', type: 'link', linkname: '../../../../../../../etc/passwd' } }], /".." component/],
    ['hard link to a name not in the archive', [{ header: { name: 'pw', type: 'link', linkname: 'etc/passwd' } }], /not an earlier entry/],
    [
      'hard link through a parent replaced by a symlink',
      [
        { header: { name: 'd/f', type: 'file' }, body: 'f' },
        { header: { name: 'd', type: 'symlink', linkname: sentinel } },
        { header: { name: 'x', type: 'link', linkname: 'd/f' } },
      ],
      /not an earlier entry|parent "d" is a symlink/,
    ],
    [
      'a directory used, then replaced by a symlink, then written through',
      [
        { header: { name: 'd/', type: 'directory' } },
        { header: { name: 'd/a', type: 'file' }, body: 'a' },
        { header: { name: 'd', type: 'symlink', linkname: sentinel } },
        { header: { name: 'd/x', type: 'file' }, body: 'x' },
      ],
      /parent "d" is a symlink/,
    ],
    ['symlink replacing the root', [{ header: { name: './', type: 'symlink', linkname: '/' } }], /cannot replace the image root/],
  ];

  for (const [name, entries, msg] of cases) {
    const data = path.join(base, `data-${name.replace(/\W+/g, '-')}`);
    const store = new ImageStore(data);
    const file = await makeTar(path.join(base, `${name.replace(/\W+/g, '-')}.tar`), entries);
    await t.rejects(store.importImage(file, 'evil'), { code: 'Invalid', message: msg }, name);
    t.same(fs.readdirSync(sentinel), [], `${name}: nothing written outside`);
    t.same(fs.readdirSync(path.join(data, 'images')), [], `${name}: no partial image`);
    t.equal(store.get('evil'), undefined);
  }
  t.notOk(fs.existsSync(path.join('/etc', etcProbe)), 'nothing written to /etc');
  t.same(fs.readdirSync(base).filter((n) => n === 'x' || n === 'abs'), [], 'nothing beside the data roots');
});

t.test('a directory replaced by a symlink: its mode is not applied through the symlink (was: chmod of the target on the host)', async (t) => {
  const base = tempDir(t);
  const outside = path.join(base, 'outside');
  fs.mkdirSync(path.join(outside, 'b'), { recursive: true, mode: 0o700 });
  fs.chmodSync(outside, 0o700);
  fs.chmodSync(path.join(outside, 'b'), 0o700);
  fs.writeFileSync(path.join(outside, 'canary'), 'c', { mode: 0o600 });
  const modes = () => [outside, path.join(outside, 'b'), path.join(outside, 'canary')].map((p) => (fs.statSync(p).mode & 0o7777).toString(8));
  const cases: Array<[string, TarEntry[]]> = [
    ['a directory, then a symlink to a file outside in its place', [{ header: { name: 'a/', type: 'directory', mode: 0o777 } }, { header: { name: 'a', type: 'symlink', linkname: path.join(outside, 'canary') } }]],
    ['a directory, then a relative symlink up and out', [{ header: { name: 'a/', type: 'directory', mode: 0o777 } }, { header: { name: 'a', type: 'symlink', linkname: '../../../../../../../..' + outside } }]],
    ['a nested directory, then its parent a symlink to a folder with the same child', [{ header: { name: 'a/b/', type: 'directory', mode: 0o777 } }, { header: { name: 'a', type: 'symlink', linkname: outside } }]],
    ['an opaque marker\'s implied folder, then a symlink in its place', [{ header: { name: 'o/.wh..wh..opq', type: 'file' }, body: '' }, { header: { name: 'o', type: 'symlink', linkname: outside } }]],
  ];
  for (const [name, entries] of cases) {
    const store = new ImageStore(path.join(base, `data-${name.replace(/\W+/g, '-')}`));
    const file = await makeTar(path.join(base, `${name.replace(/\W+/g, '-')}.tar`), entries);
    const rec = await store.importImage(file, 'x');
    t.ok(fs.lstatSync(path.join(rec.rootfs, entries[1]!.header.name)).isSymbolicLink(), `${name}: the symlink is kept, as tar leaves it`);
    t.same(modes(), ['700', '700', '600'], `${name}: nothing outside changed mode`);
  }
});

t.test('hostRootLayout on a fake host root', async (t) => {
  const root = tempDir(t);
  fs.mkdirSync(path.join(root, 'usr/bin'), { recursive: true });
  fs.mkdirSync(path.join(root, 'usr/lib'), { recursive: true });
  fs.mkdirSync(path.join(root, 'etc'));
  fs.mkdirSync(path.join(root, 'lib64')); // a real dir here, to see both kinds
  fs.symlinkSync('usr/bin', path.join(root, 'bin'));
  fs.symlinkSync('usr/lib', path.join(root, 'lib'));
  // no /sbin, /lib32, /libx32 on this fake host

  const layout = hostRootLayout(root);
  t.same(layout, [
    { path: '/usr', kind: 'bind-ro' },
    { path: '/bin', kind: 'symlink', target: 'usr/bin' },
    { path: '/lib', kind: 'symlink', target: 'usr/lib' },
    { path: '/lib64', kind: 'bind-ro' },
    { path: '/etc', kind: 'bind-ro' },
    { path: '/tmp', kind: 'tmpfs' },
    { path: '/run', kind: 'tmpfs' },
    { path: '/var', kind: 'dir' },
    { path: '/var/tmp', kind: 'tmpfs' },
    { path: '/root', kind: 'tmpfs' },
    { path: '/home', kind: 'tmpfs' },
  ]);
  // parents before children, whatever the host
  const seen = new Set<string>(['/']);
  for (const e of hostRootLayout('/')) {
    t.ok(seen.has(path.dirname(e.path)), `${e.path} after its parent`);
    seen.add(e.path);
  }
});
