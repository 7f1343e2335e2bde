// Target: the image unpacker (src/image/untar.ts through the addon's layer decoder). Inputs are
// tar archives built from hostile entries (absolute names, `..`, symlinks out and then through,
// hard links to outside names, devices, fifos, whiteouts, long names, odd modes), plain, gzip or
// zstd, then mutated (bytes flipped, cut, repeated). Each is unpacked into a fresh root beside a
// canary folder; an archive must be refused (a rejection with an Error) or unpacked inside the
// root. A finding: anything written or changed outside the root, a programming error
// (TypeError, RangeError, ReferenceError), a hang (10 s), a crash of the process.
'use strict';

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const zlib = require('node:zlib');
const { spawnSync } = require('node:child_process');
const dist = path.resolve(__dirname, '..', '..', '..', 'dist');
const tar = require(require.resolve('tar-stream', { paths: [dist] }));
const { extractTar } = require(path.join(dist, 'image', 'untar'));
const { FuzzFinding, within } = require('../fuzz-lib');

const NAMES = ['a', 'a/b', 'a/b/c', './x', 'x/../../y', '../escape', '/abs', '//abs2', 'link', 'link/through', 'dir/', 'a/.wh.b', 'a/.wh..wh..opq', '.wh.a', 'hl', '', '.', 'x'.repeat(120) + '/y', 'ü/ñ', 'a\\b', 'sym', 'sym/evil', 'dev/null', 'proc', 'etc/passwd'];
// Absolute targets name the fuzz folder's own outside files (OUT is replaced by its path): a bug
// that follows a symlink must change the canary, never a host file (one run as root changed
// /etc/passwd, /tmp and /dev/shm to 0755 before the unpacker's fix).
const TARGETS = ['OUT', 'OUT/canary', 'OUT/sub', '..', '../..', '../outside/canary', '../outside/sub', 'a', 'a/b', 'sym', '.', ''];
const TYPES = ['file', 'directory', 'symlink', 'link', 'character-device', 'block-device', 'fifo', 'pax-header', 'contiguous-file'];

/** What must not change: the outside folder's names, modes and owners, the canary's bytes and links, the folder's own mode. */
function canaryState(dir) {
  const out = path.join(dir, 'outside');
  const files = fs.readdirSync(out).sort();
  const st = (p) => {
    const s = fs.lstatSync(p);
    return `${s.mode.toString(8)}:${s.uid}:${s.gid}:${s.nlink}`;
  };
  return [files.join(','), fs.readFileSync(path.join(out, 'canary'), 'utf8'), st(dir), st(out), st(path.join(out, 'canary')), st(path.join(out, 'sub')), st(path.dirname(dir)), fs.readdirSync(dir).sort().join(',')].join('|');
}

async function build(entries) {
  const pack = tar.pack();
  const chunks = [];
  pack.on('data', (c) => chunks.push(c));
  const done = new Promise((r) => pack.on('end', r));
  for (const e of entries) {
    const header = { name: e.name || 'empty', type: e.type, mode: e.mode, uid: e.uid, gid: e.gid, mtime: new Date(0) };
    if (e.type === 'symlink' || e.type === 'link') header.linkname = e.target;
    if (e.type === 'character-device' || e.type === 'block-device') Object.assign(header, { devmajor: e.major, devminor: e.minor });
    try {
      await new Promise((resolve, reject) => {
        const body = e.type === 'file' || e.type === 'contiguous-file' ? Buffer.from(e.body) : undefined;
        if (body) header.size = body.length;
        pack.entry(header, body, (err) => (err ? reject(err) : resolve()));
      });
    } catch {
      // tar-stream would not write this header (a name too long for it): leave it out
    }
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

/**
 * A zstd frame of raw (stored) blocks, made in process: the decoder's frame and block parsing
 * see it as any other frame, and most zstd inputs need no zstd process (one per input cost more
 * than the unpacking). Window 128 KiB (descriptor 7 << 3), no checksum, no content size.
 */
function zstdStored(buf) {
  const parts = [Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, 7 << 3])];
  for (let at = 0; at < buf.length || at === 0; at += 65536) {
    const chunk = buf.subarray(at, at + 65536);
    const last = at + 65536 >= buf.length ? 1 : 0;
    const header = (chunk.length << 3) | last; // block type 0: raw
    parts.push(Buffer.from([header & 0xff, (header >> 8) & 0xff, (header >> 16) & 0xff]), chunk);
    if (last) break;
  }
  return Buffer.concat(parts);
}

function compress(buf, how) {
  if (how === 'gzip') return zlib.gzipSync(buf, { level: 1 });
  if (how === 'zstd-stored') return zstdStored(buf);
  if (how === 'zstd') {
    const r = spawnSync('zstd', ['-q', '-c', '-1'], { input: buf, maxBuffer: 64 << 20 });
    return r.status === 0 ? r.stdout : buf;
  }
  return buf;
}

/** chmod -R u+rwx without a process per input (spawning chmod cost more than the unpacking). */
function makeWritable(dir) {
  let names;
  try {
    fs.chmodSync(dir, 0o700);
    names = fs.readdirSync(dir);
  } catch {
    return;
  }
  for (const n of names) {
    const p = path.join(dir, n);
    let st;
    try {
      st = fs.lstatSync(p);
    } catch {
      continue;
    }
    if (st.isDirectory()) makeWritable(p);
  }
}

function mutate(buf, cuts) {
  let b = Buffer.from(buf);
  for (const c of cuts) {
    if (b.length === 0) break;
    const i = c.at % b.length;
    if (c.op === 'flip') b[i] ^= c.byte || 1;
    else if (c.op === 'cut') b = b.subarray(0, i);
    else if (c.op === 'dup') b = Buffer.concat([b.subarray(0, i), b.subarray(i, i + 512), b.subarray(i)]);
    else if (c.op === 'zero') b.fill(0, i, Math.min(i + 16, b.length));
  }
  return b;
}

module.exports = {
  name: 'unpack',
  async setup() {
    // In memory where there is a tmpfs: creating and removing thousands of small trees is the cost.
    // One level down: the TARGETS' `..` and `../..` from a root stay inside the fuzz's own folder.
    const dir = path.join(fs.mkdtempSync(path.join(fs.existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir(), 'podrun-fuzz-unpack-')), 'w');
    fs.mkdirSync(dir);
    fs.mkdirSync(path.join(dir, 'outside', 'sub'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'outside', 'canary'), 'canary\n');
    const zstd = spawnSync('zstd', ['--version']).status === 0;
    return { dir, n: 0, before: canaryState(dir), zstd };
  },
  input(fc, state) {
    const entry = fc.record({
      name: fc.oneof(fc.constantFrom(...NAMES), fc.string({ maxLength: 20 }), fc.array(fc.constantFrom('a', 'b', '..', '.', 'link', 'sym', ''), { maxLength: 5 }).map((p) => p.join('/'))),
      type: fc.constantFrom(...TYPES),
      target: fc.oneof(fc.constantFrom(...TARGETS).map((x) => x.replace(/^OUT/, path.join(state.dir, 'outside'))), fc.string({ maxLength: 12 })),
      mode: fc.oneof(fc.constantFrom(0o755, 0o644, 0o4755, 0o000, 0o1777, 0o7777), fc.nat(0o7777)),
      uid: fc.oneof(fc.constant(0), fc.nat(70000)),
      gid: fc.oneof(fc.constant(0), fc.nat(70000)),
      major: fc.nat(300),
      minor: fc.nat(300),
      body: fc.string({ maxLength: 40 }),
    });
    const cut = fc.record({ op: fc.constantFrom('flip', 'cut', 'dup', 'zero'), at: fc.nat(), byte: fc.nat(255) });
    return fc.record({
      entries: fc.array(entry, { minLength: 1, maxLength: 8 }),
      // zstd for one input in six (stored frames, or a zstd process's): each is decoded by a
      // zstd process, whose spawn costs more than the rest of an input; podrun's part is the same.
      how: state.zstd ? fc.constantFrom('plain', 'plain', 'plain', 'plain', 'plain', 'gzip', 'gzip', 'gzip', 'gzip', 'gzip', 'zstd-stored', 'zstd') : fc.constantFrom('plain', 'gzip', 'zstd-stored'),
      cuts: fc.oneof(fc.constant([]), fc.array(cut, { maxLength: 3 })),
      layer: fc.boolean(),
    });
  },
  async run(input, state) {
    const n = state.n++;
    const archive = path.join(state.dir, `in-${n}.tar`);
    const root = path.join(state.dir, `root-${n}`);
    fs.writeFileSync(archive, mutate(compress(await build(input.entries), input.how), input.cuts));
    fs.mkdirSync(root);
    try {
      await within(
        extractTar(archive, root, input.layer ? { layer: { opaqueXattr: 'user.overlay.opaque' } } : {}).catch((e) => {
          if (!(e instanceof Error) || e instanceof TypeError || e instanceof RangeError || e instanceof ReferenceError) throw new FuzzFinding(`untyped failure: ${e && e.stack ? e.stack : e}`);
        }),
        10_000,
        'extractTar',
      );
    } finally {
      fs.rmSync(archive, { force: true });
      // What it made may be read-only: make it writable to remove it.
      makeWritable(root);
      fs.rmSync(root, { recursive: true, force: true });
    }
    const after = canaryState(state.dir);
    if (after !== state.before) throw new FuzzFinding(`written outside the root: ${state.before} -> ${after}`);
  },
  async teardown(state) {
    fs.rmSync(path.dirname(state.dir), { recursive: true, force: true });
  },
};
