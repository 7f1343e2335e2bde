// Unpack a tar (plain or gzip) into an empty directory, treating the archive as hostile:
// an archive must not be able to write, link or create anything outside `root`.
//  - names with a `..` component or an absolute name are refused;
//  - every parent is checked with lstat while walking down from `root` and a symlink parent is
//    refused, so a symlink entry (`evil -> /`) can never redirect a later entry (`evil/etc/x`);
//  - files are created with O_EXCL|O_NOFOLLOW, so the final component is never followed either;
//  - a hard link may only point at an earlier non-directory entry of the same archive;
//  - device nodes are made only by root (as non-root they are skipped, the way rootless
//    podman does); ownership is applied only by root.
// Directory modes are applied at the end, deepest first: a 0555 directory must stay writable
// while its entries are created.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import * as crypto from 'node:crypto';
import { PassThrough, pipeline as pipelineCb, type Readable, Transform, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as tar from 'tar-stream';
import { PodrunError } from '../errors';
import { native } from '../native';
import { LayerDecodeStream } from './layer-decode';
import { isRoot, makeSpecial } from './special-files';

export interface ExtractStats {
  entries: number;
  /** Entries that were not created, with the reason (device nodes as non-root, sockets, unknown types). */
  skipped: string[];
  /** `sha256:` of the uncompressed tar stream: an OCI layer's DiffID. */
  diffId: string;
  /** Bytes of file content and symlink targets (a hard link adds nothing). */
  bytes: number;
  /** Layers: what `.wh.` entries hide and which directories are opaque (relative paths). */
  whiteouts: string[];
  opaque: string[];
}

export interface ExtractOptions {
  /**
   * An image layer for overlayfs: `.wh.NAME` entries become whiteouts (character device 0/0,
   * which any user may make since Linux 5.8) and `.wh..wh..opq` marks its directory opaque
   * with this extended attribute (`trusted.overlay.opaque` as root, `user.overlay.opaque` for
   * overlay's userxattr mode), and `alsoXattr` too when given.
   */
  layer?: { opaqueXattr: string; alsoXattr?: string };
}

const WHITEOUT = '.wh.';
const OPAQUE = '.wh..wh..opq';
const ZSTD_MAGIC = [0x28, 0xb5, 0x2f, 0xfd];

function magic(file: string, bytes: number[]): boolean {
  const fd = fs.openSync(file, 'r');
  try {
    const b = Buffer.alloc(bytes.length);
    return fs.readSync(fd, b, 0, b.length, 0) === b.length && bytes.every((x, i) => b[i] === x);
  } finally {
    fs.closeSync(fd);
  }
}

/** A zstd stream decompressed by the zstd command, which Node 20's zlib lacks. */
function unzstd(start: (stdin: NodeJS.WritableStream | null) => string[]): Readable {
  const out = new PassThrough({ highWaterMark: 1 << 20 });
  const z = spawn('zstd', start(null), { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  z.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  z.on('error', (e) => out.destroy(new PodrunError('Unsupported', `a zstd-compressed layer needs the zstd command (Debian package zstd): ${e.message}`)));
  z.stdout.pipe(out, { end: false });
  z.on('close', (code) => (code === 0 ? out.end() : out.destroy(new Error(`zstd: ${stderr.trim() || `exit status ${code}`}`))));
  start(z.stdin);
  return out;
}

/** A tar to unpack, and (when something else hashes it on the way) where its digest comes from. */
interface TarInput {
  stream: Readable;
  diffId?: () => string;
}

/** The archive's bytes, decompressed: gzip and plain on the threadpool, zstd by the zstd command. */
function openArchive(archive: string): TarInput {
  if (magic(archive, ZSTD_MAGIC)) {
    return {
      stream: unzstd((stdin) => {
        stdin?.end();
        return ['-dcq', '--', archive];
      }),
    };
  }
  // Large chunks all the way: each chunk costs a trip through every stream and promise below.
  const decoded = new LayerDecodeStream();
  pipelineCb(fs.createReadStream(archive, { highWaterMark: 1 << 20 }), decoded, () => undefined);
  return { stream: decoded, diffId: () => decoded.result!.diffId };
}

class UnsafeEntryError extends PodrunError {
  constructor(entry: string, why: string) {
    super('Invalid', `unsafe archive entry "${entry}": ${why}`, 'the archive tries to reach outside the image root; it was not imported');
    this.name = 'UnsafeEntryError';
  }
}

function unreadable(archive: string, err: unknown): PodrunError {
  const msg = err instanceof Error ? err.message : String(err);
  return new PodrunError('Invalid', `cannot read archive \`${archive}\`: ${msg}`, 'the file must be a tar archive, plain or gzip-compressed');
}


/** Split an archive name into components; '' or '.' is the root itself ([]). */
function components(raw: string, entry: string, what = 'name'): string[] {
  if (raw.startsWith('/')) throw new UnsafeEntryError(entry, `absolute ${what} "${raw}"`);
  const parts = raw.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) throw new UnsafeEntryError(entry, `${what} "${raw}" has a ".." component`);
  return parts;
}

/**
 * Directories of the tree being unpacked that are known to be real directories (made or checked
 * by this extraction), so that each entry does not lstat every parent again. Only this
 * extraction writes under its root, and a replaced directory is forgotten with all below it.
 */
class KnownDirs {
  private readonly dirs = new Set<string>();
  /**
   * Directory path -> the mode it gets at the end. A replaced directory's entries go too: a
   * symlink put in its place was followed by that chmod (a layer with `a/` then `a -> /etc`
   * changed /etc's mode on the host).
   */
  readonly modes = new Map<string, number>();
  has(p: string): boolean {
    return this.dirs.has(p);
  }
  add(p: string): void {
    this.dirs.add(p);
  }
  forget(p: string): void {
    const under = (d: string): boolean => d === p || d.startsWith(`${p}/`);
    for (const d of this.dirs) if (under(d)) this.dirs.delete(d);
    for (const d of this.modes.keys()) if (under(d)) this.modes.delete(d);
  }
}

/**
 * chmod of a directory of this extraction, never through a symlink: opened with O_NOFOLLOW,
 * and refused unless its real path is where the archive put it (no parent replaced either).
 */
function chmodOwnDir(root: string, realRoot: string, dir: string, mode: number): void {
  const fd = fs.openSync(dir, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY | fs.constants.O_NOFOLLOW);
  try {
    const rel = path.relative(root, dir);
    if (fs.realpathSync(`/proc/self/fd/${fd}`) !== path.join(realRoot, rel)) throw new UnsafeEntryError(rel, 'its directory was replaced by a symlink');
    fs.fchmodSync(fd, mode);
  } finally {
    fs.closeSync(fd);
  }
}

/** Walk down from root creating missing directories, refusing symlinks and non-directories. */
function ensureParents(root: string, parts: string[], entry: string, owned: Map<string, number>, known: KnownDirs): string {
  let cur = root;
  for (let i = 0; i < parts.length - 1; i++) {
    cur = path.join(cur, parts[i]!);
    if (known.has(cur)) continue;
    const st = fs.lstatSync(cur, { throwIfNoEntry: false });
    if (!st) {
      fs.mkdirSync(cur, { mode: 0o700 });
      owned.set(cur, 0o755); // implied directory: tar's default mode
    } else if (st.isSymbolicLink()) {
      throw new UnsafeEntryError(entry, `parent "${parts.slice(0, i + 1).join('/')}" is a symlink`);
    } else if (!st.isDirectory()) {
      throw new UnsafeEntryError(entry, `parent "${parts.slice(0, i + 1).join('/')}" is not a directory`);
    }
    known.add(cur);
  }
  return path.join(root, ...parts);
}

/** Make room for a new entry at `target` (tar semantics: a later entry replaces an earlier one). */
function clearTarget(target: string, keepDir: boolean, known: KnownDirs): 'dir' | 'none' {
  const st = fs.lstatSync(target, { throwIfNoEntry: false });
  if (!st) return 'none';
  if (st.isDirectory()) {
    if (keepDir) return 'dir';
    fs.rmSync(target, { recursive: true, force: true });
    known.forget(target);
  } else {
    fs.unlinkSync(target);
  }
  return 'none';
}

async function drain(entry: AsyncIterable<unknown>): Promise<void> {
  for await (const _chunk of entry) {
    // discard: the next header follows this entry's data
  }
}

export function extractTar(archive: string, root: string, opts: ExtractOptions = {}): Promise<ExtractStats> {
  return extract(openArchive(archive), archive, root, opts);
}

/**
 * The same from a blob being decoded as it downloads; a zstd blob comes out of the decoder as
 * it went in (only hashed and kept), and the zstd command unpacks it.
 */
export function extractLayerStream(decoded: LayerDecodeStream, zstd: boolean, label: string, root: string, opts: ExtractOptions = {}): Promise<ExtractStats> {
  if (!zstd) return extract({ stream: decoded, diffId: () => decoded.result!.diffId }, label, root, opts);
  let out: Readable | undefined;
  out = unzstd((stdin) => {
    if (stdin) pipelineCb(decoded, stdin as NodeJS.WritableStream & Writable, (err) => err && out?.destroy(err));
    return ['-dcq'];
  });
  return extract({ stream: out }, label, root, opts);
}

async function extract(tar_: TarInput, archive: string, root: string, opts: ExtractOptions): Promise<ExtractStats> {
  const input = tar_.stream;
  const asRoot = isRoot();
  const stats: ExtractStats = { entries: 0, skipped: [], diffId: '', bytes: 0, whiteouts: [], opaque: [] };
  const known = new KnownDirs();
  // directory path -> mode to apply at the end
  const dirModes = known.modes;
  // archive paths of earlier non-directory entries: the only legal hard-link targets
  const linkable = new Set<string>();

  const ex = tar.extract();
  // The DiffID: hashed here unless the decoder already hashes the tar on the threadpool.
  const hash = tar_.diffId ? undefined : crypto.createHash('sha256');
  const hasher = new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash!.update(chunk);
      done(null, chunk);
    },
  });
  const feeding = (hash ? pipeline(input, hasher, ex) : pipeline(input, ex)).then(
    () => undefined,
    (err: unknown) => err,
  );

  try {
    for await (const entry of ex) {
      const h = entry.header;
      stats.entries++;
      const parts = components(h.name, h.name);
      const rel = parts.join('/');
      const mode = (h.mode ?? 0o644) & 0o7777;
      const chown = (p: string): void => {
        if (asRoot && h.uid !== undefined && h.gid !== undefined) fs.lchownSync(p, h.uid, h.gid);
      };

      if (parts.length === 0) {
        // `./`: the root itself; only its mode and owner may change
        if (h.type !== 'directory') throw new UnsafeEntryError(h.name, `a ${h.type ?? 'file'} cannot replace the image root`);
        chown(root);
        dirModes.set(root, mode);
        await drain(entry);
        continue;
      }
      const target = ensureParents(root, parts, h.name, dirModes, known);
      const base = parts[parts.length - 1]!;
      if (opts.layer && base.startsWith(WHITEOUT)) {
        if (base === OPAQUE) {
          // The directory itself: made if this layer did not list it first (tar order allows that).
          const dir = path.dirname(target);
          if (dir !== root && clearTarget(dir, true, known) === 'none') {
            fs.mkdirSync(dir, { mode: 0o700 });
            dirModes.set(dir, 0o755);
          }
          native.setXattr(dir, opts.layer.opaqueXattr, 'y');
          if (opts.layer.alsoXattr) native.setXattr(dir, opts.layer.alsoXattr, 'y');
          stats.opaque.push(parts.slice(0, -1).join('/'));
        } else {
          const hidden = path.join(path.dirname(target), base.slice(WHITEOUT.length));
          if (base.length === WHITEOUT.length) throw new UnsafeEntryError(h.name, 'whiteout without a name');
          clearTarget(hidden, false, known);
          makeSpecial(hidden, 'char', 0, 0, 0);
          stats.whiteouts.push(parts.slice(0, -1).concat(base.slice(WHITEOUT.length)).join('/'));
          linkable.delete(parts.slice(0, -1).concat(base.slice(WHITEOUT.length)).join('/'));
        }
        await drain(entry);
        continue;
      }

      switch (h.type) {
        case 'directory': {
          if (clearTarget(target, true, known) === 'none') fs.mkdirSync(target, { mode: 0o700 });
          chown(target);
          dirModes.set(target, mode);
          linkable.delete(rel);
          await drain(entry);
          break;
        }
        case 'file':
        case 'contiguous-file':
        case undefined:
        case null: {
          clearTarget(target, false, known);
          const { O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW } = fs.constants;
          const fd = fs.openSync(target, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600);
          try {
            // tar-stream hands out small chunks: gather them into large writes (one awaited
            // write per chunk made unpacking several times slower than gunzip itself).
            let batch: Buffer[] = [];
            let batched = 0;
            for await (const chunk of entry) {
              batch.push(chunk as Buffer);
              batched += (chunk as Buffer).length;
              if (batched >= 1 << 20) {
                fs.writevSync(fd, batch);
                batch = [];
                batched = 0;
              }
            }
            if (batch.length) fs.writevSync(fd, batch);
            stats.bytes += h.size ?? 0;
            if (asRoot && h.uid !== undefined && h.gid !== undefined) fs.fchownSync(fd, h.uid, h.gid);
            // after chown: chown clears the set-id bits
            fs.fchmodSync(fd, mode);
          } finally {
            fs.closeSync(fd);
          }
          linkable.add(rel);
          break;
        }
        case 'symlink': {
          if (!h.linkname) throw new UnsafeEntryError(h.name, 'symlink without a target');
          clearTarget(target, false, known);
          // The target is stored as written: it is interpreted inside the container, never here.
          fs.symlinkSync(h.linkname, target);
          stats.bytes += Buffer.byteLength(h.linkname);
          chown(target);
          linkable.add(rel);
          await drain(entry);
          break;
        }
        case 'link': {
          const src = components(h.linkname ?? '', h.name, 'hard link target');
          const srcRel = src.join('/');
          if (!linkable.has(srcRel)) {
            throw new UnsafeEntryError(h.name, `hard link target "${h.linkname ?? ''}" is not an earlier entry of the archive`);
          }
          // The target's parents may have been replaced by symlinks since it was written.
          const srcPath = ensureParents(root, src, h.name, dirModes, known);
          if (srcRel === rel) throw new UnsafeEntryError(h.name, 'hard link to itself');
          clearTarget(target, false, known);
          // link(2) does not follow a final symlink: it links the symlink itself.
          fs.linkSync(srcPath, target);
          linkable.add(rel);
          await drain(entry);
          break;
        }
        case 'character-device':
        case 'block-device':
        case 'fifo': {
          if (h.type !== 'fifo' && !asRoot) {
            stats.skipped.push(`${rel}: device node, needs root`);
          } else {
            clearTarget(target, false, known);
            const kind = h.type === 'fifo' ? 'fifo' : h.type === 'character-device' ? 'char' : 'block';
            makeSpecial(target, kind, mode, h.devmajor ?? 0, h.devminor ?? 0);
            chown(target);
            linkable.add(rel);
          }
          await drain(entry);
          break;
        }
        default:
          stats.skipped.push(`${rel}: unsupported entry type ${String(h.type)}`);
          await drain(entry);
      }
    }
  } catch (err) {
    input.destroy();
    // Our own refusals and failed file system calls pass through; the rest is a broken stream.
    if (err instanceof PodrunError || (err as NodeJS.ErrnoException).syscall) throw err;
    throw unreadable(archive, err);
  }
  const feedErr = await feeding;
  if (feedErr) throw feedErr instanceof PodrunError ? feedErr : unreadable(archive, feedErr);
  stats.diffId = hash ? `sha256:${hash.digest('hex')}` : tar_.diffId!();

  // Deepest first, so that making a parent read-only cannot block fixing a child.
  const dirs = [...dirModes.entries()].sort((a, b) => b[0].length - a[0].length);
  const realRoot = fs.realpathSync(root);
  for (const [dir, m] of dirs) chmodOwnDir(root, realRoot, dir, m);
  return stats;
}
