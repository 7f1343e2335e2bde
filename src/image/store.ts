// The local image store: root filesystems imported from a directory or a tar, each kept once
// per content id, plus an index of name:tag -> id.
//
//   <dataRoot>/images/               0700
//     index.json                     {"version":1,"refs":{"busybox:latest":"sha256:…"}}, replaced atomically
//     <hex>/                         0700, one per image id
//       image.json                   {id, config, created, size}
//       rootfs/                      the content, with its own modes
//     .lock/                         held while the index or the id dirs change
//     .tmp-<pid>-<rand>/             an import in progress; renamed to <hex>/ when complete
//
// An import unpacks and hashes outside the lock (the slow part) into its own temp dir; only the
// final rename and the index rewrite happen under the lock. A failed import removes its temp
// dir, and temp dirs of importers that died are swept by the next import.

import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AlreadyExistsError, NotFoundError, PodrunError, SystemError, ValidationError } from '../errors';
import { writeFileAtomicSync } from '../state/atomic-file';
import { copyTree } from './copy-tree';
import { digestTree } from './digest';
import { withLockSync } from './lock';
import { formatImageRef, parseImageRef } from './reference';
import { loadRegistriesConf } from './registries-conf';
import { localName, parseRemoteRef, searchCandidates, type RemoteRef } from './remote-ref';
import { removeTree } from '../state/remove-tree';
import type { ImageConfig, ImageRecord } from './types';
import { LayerStore } from './layers';
import { isDockerArchive, isOciLayout, readDockerArchive, readOciLayout, type ImageSource } from './oci-archive';
import { extractTar } from './untar';

export type { ImageConfig, ImageRecord } from './types';

interface IndexFile {
  version: 1;
  refs: Record<string, string>;
}

/** What image.json holds; name and tag live in the index because one id can carry many. */
interface StoredImage {
  id: string;
  config: ImageConfig;
  created: string;
  size: number;
  /** Layered images: DiffIDs, bottom first, in the layer store (no rootfs/ of their own). */
  layers?: string[];
}

export const HOST_IMAGE = 'host';
const HOST_CONFIG: ImageConfig = {
  cmd: ['/bin/sh'],
  env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
};

function hostRecord(): ImageRecord {
  const config: ImageConfig = { cmd: [...HOST_CONFIG.cmd!], env: [...HOST_CONFIG.env!] };
  const id = crypto.createHash('sha256').update(JSON.stringify(['podrun-builtin', HOST_IMAGE, config])).digest('hex');
  return { name: HOST_IMAGE, tag: 'latest', id: `sha256:${id}`, rootfs: '', config, created: '1970-01-01T00:00:00Z', size: 0, builtin: true };
}

function stringList(v: unknown, field: string): string[] {
  if (!Array.isArray(v)) throw new ValidationError(field, 'must be a list of strings');
  return v.map((s, i) => {
    if (typeof s !== 'string') throw new ValidationError(`${field}[${i}]`, 'must be a string');
    return s;
  });
}

function nonEmpty(v: unknown, field: string): string {
  if (typeof v !== 'string' || v === '') throw new ValidationError(field, 'must be a non-empty string');
  return v;
}

/** Check a caller's config and rebuild it with a fixed key order, so that the id is stable. */
export function normalizeImageConfig(c: Partial<ImageConfig> = {}): ImageConfig {
  const out: ImageConfig = {};
  if (c.entrypoint !== undefined) out.entrypoint = stringList(c.entrypoint, 'config.entrypoint');
  if (c.cmd !== undefined) out.cmd = stringList(c.cmd, 'config.cmd');
  if (c.env !== undefined) {
    out.env = stringList(c.env, 'config.env');
    out.env.forEach((e, i) => {
      if (e.indexOf('=') < 1) throw new ValidationError(`config.env[${i}]`, `"${e}" must be KEY=VALUE`);
    });
  }
  if (c.workingDir !== undefined) {
    out.workingDir = nonEmpty(c.workingDir, 'config.workingDir');
    if (!out.workingDir.startsWith('/')) throw new ValidationError('config.workingDir', 'must be an absolute path');
  }
  if (c.user !== undefined) out.user = nonEmpty(c.user, 'config.user');
  if (c.stopSignal !== undefined) out.stopSignal = nonEmpty(c.stopSignal, 'config.stopSignal');
  if (c.exposedPorts !== undefined) out.exposedPorts = stringList(c.exposedPorts, 'config.exposedPorts');
  return out;
}

/** Node's fs errors become SystemErrors (syscall, errno, path); podrun's own pass through. */
function asPodrunError(err: unknown): PodrunError {
  if (err instanceof PodrunError) return err;
  const e = err as NodeJS.ErrnoException;
  if (e && typeof e.syscall === 'string' && typeof e.code === 'string') {
    return new SystemError(e.syscall, Math.abs(e.errno ?? 0), e.code, e.path);
  }
  return new PodrunError('Internal', err instanceof Error ? err.message : String(err));
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export class ImageStore {
  /** `<dataRoot>/images`, absolute. */
  readonly dir: string;
  private readonly indexFile: string;
  private readonly lockDir: string;
  readonly layers: LayerStore;

  constructor(dataRoot: string) {
    this.layers = new LayerStore(dataRoot);
    this.dir = path.join(path.resolve(dataRoot), 'images');
    this.indexFile = path.join(this.dir, 'index.json');
    this.lockDir = path.join(this.dir, '.lock');
  }

  /**
   * Import `src` (a directory, or a tar file, plain or gzip) as `ref`. Re-importing identical
   * content and config yields the same id; pointing an existing ref at new content drops the
   * old content once no ref names it.
   */
  async importImage(src: string, ref: string, config?: Partial<ImageConfig>): Promise<ImageRecord> {
    const r = parseImageRef(ref);
    if (r.name === HOST_IMAGE) throw new AlreadyExistsError('image', `${HOST_IMAGE} (built in)`);
    const cfg = normalizeImageConfig(config);
    let srcSt: fs.Stats;
    try {
      srcSt = fs.statSync(src);
    } catch {
      throw new NotFoundError('image source', src);
    }
    if (!srcSt.isDirectory() && !srcSt.isFile()) {
      throw new PodrunError('Invalid', `image source \`${src}\` is neither a directory nor a tar file`);
    }

    this.ensureDir();
    this.sweepAbandoned();
    if (srcSt.isDirectory() && (isOciLayout(src) || isDockerArchive(src))) return this.importLayered(src, r, config);
    const tmp = fs.mkdtempSync(path.join(this.dir, `.tmp-${process.pid}-`));
    let stored: StoredImage;
    try {
      const rootfs = path.join(tmp, 'rootfs');
      if (srcSt.isDirectory()) {
        // realpath: a symlink to the source dir must not become a symlink rootfs
        await copyTree(fs.realpathSync(src), rootfs, [fs.realpathSync(this.dir)]);
      } else {
        fs.mkdirSync(rootfs, { mode: 0o755 });
        await extractTar(src, rootfs);
        // A tar of an OCI layout or a `docker save` archive: an image with layers, not a rootfs.
        if (isOciLayout(rootfs) || isDockerArchive(rootfs)) {
          try {
            return await this.importLayered(rootfs, r, config);
          } finally {
            removeTree(tmp);
          }
        }
      }
      const { id, size } = await digestTree(rootfs, cfg);
      stored = { id, config: cfg, created: new Date().toISOString(), size };
    } catch (err) {
      removeTree(tmp);
      throw asPodrunError(err);
    }
    return this.record(tmp, stored, r);
  }

  /**
   * Writes `stored` into the prepared image dir `tmp` and publishes it as `r`. Afterwards `tmp`
   * is gone either way: moved into place, or removed (on failure, or when the id was stored).
   */
  private record(tmp: string, stored: StoredImage, r: { name: string; tag: string }): ImageRecord {
    let done: ReturnType<ImageStore['publish']>;
    try {
      writeFileAtomicSync(path.join(tmp, 'image.json'), JSON.stringify(stored, null, 2) + '\n');
      done = this.publish(stored.id, r, tmp);
    } catch (err) {
      removeTree(tmp);
      throw asPodrunError(err);
    }
    if (done.reused) removeTree(tmp);
    if (done.trash) this.dropDetached(done.trash);
    return done.record;
  }

  /**
   * An OCI layout or `docker save` archive (a directory): each layer unpacked once into the
   * layer store (digests verified), the image recorded by its config digest. Explicit config
   * fields (`podrun image import --entrypoint ...`) override the image's own.
   */
  private async importLayered(dir: string, r: { name: string; tag: string }, overrides?: Partial<ImageConfig>): Promise<ImageRecord> {
    let source: ImageSource;
    try {
      source = isOciLayout(dir) ? readOciLayout(dir, r.tag) : readDockerArchive(dir, formatImageRef(r));
    } catch (err) {
      throw asPodrunError(err);
    }
    return this.importSource(source, r, overrides);
  }

  /**
   * An image whose blobs are files at hand (an archive's, or a pull's): its layers unpacked into
   * the layer store (once each), then recorded under `r`.
   */
  async importSource(source: ImageSource, r: { name: string; tag: string }, overrides?: Partial<ImageConfig>): Promise<ImageRecord> {
    this.ensureDir();
    try {
      for (const l of source.layers) await this.layers.unpack(l.file, l.digest, l.diffId);
    } catch (err) {
      this.layers.unpin(source.layers.map((l) => l.diffId));
      throw asPodrunError(err);
    }
    const set = Object.fromEntries(Object.entries(overrides ?? {}).filter(([, v]) => v !== undefined)) as Partial<ImageConfig>;
    const config = normalizeImageConfig({ ...source.config, ...set });
    const id = Object.keys(set).length
      ? `sha256:${crypto.createHash('sha256').update(JSON.stringify([source.configDigest, config])).digest('hex')}`
      : source.configDigest;
    const diffIds = source.layers.map((l) => l.diffId);
    const size = diffIds.reduce((n, d) => n + this.layers.sizeOf(d), 0);
    const tmp = fs.mkdtempSync(path.join(this.dir, `.tmp-${process.pid}-`));
    try {
      return this.record(tmp, { id, config, created: new Date().toISOString(), size, layers: diffIds }, r);
    } finally {
      this.layers.unpin(diffIds);
    }
  }

  /**
   * Under the lock: the prepared image dir `tmp` becomes <id>/ unless that id is stored already
   * (then the first copy and its creation time stay: `reused`, and the caller removes `tmp`),
   * and `r` names the id. `trash` is an image dir no name refers to any more, for the caller to
   * delete outside the lock.
   */
  private publish(id: string, r: { name: string; tag: string }, tmp: string): { record: ImageRecord; reused: boolean; trash?: string } {
    const key = formatImageRef(r);
    let reused = false;
    let trash: string | undefined;
    const record = withLockSync(this.lockDir, () => {
      const final = this.idDir(id);
      if (fs.existsSync(path.join(final, 'image.json'))) reused = true;
      else fs.renameSync(tmp, final);
      const index = this.readIndex();
      const old = index.refs[key];
      index.refs[key] = id;
      this.writeIndex(index);
      if (old && old !== id) trash = this.detachIfUnreferenced(index, old);
      return this.load(r.name, r.tag, id);
    });
    if (!record) throw new PodrunError('Internal', `image ${id} vanished right after its import`);
    return { record, reused, trash };
  }

  list(): ImageRecord[] {
    const index = this.readIndex();
    const out: ImageRecord[] = [hostRecord()];
    for (const key of Object.keys(index.refs).sort()) {
      const { name, tag } = parseImageRef(key);
      const rec = this.load(name, tag, index.refs[key]!);
      if (rec) out.push(rec);
    }
    return out;
  }

  get(ref: string): ImageRecord | undefined {
    if (!ref.includes('@')) {
      const r = parseImageRef(ref);
      if (r.name === HOST_IMAGE) return r.tag === 'latest' ? hostRecord() : undefined;
    }
    const index = this.readIndex();
    const key = this.keyOf(ref, index);
    if (!key) return undefined;
    const { name, tag } = parseImageRef(key);
    return this.load(name, tag, index.refs[key]!);
  }

  /**
   * The index key a reference names: as written (`local/app:v1`), else as pulled, under the full
   * name (`busybox` is docker.io/library/busybox:latest; a digest is the tag `sha256-<hex>`), or
   * for a short name under each search registry's (registries.conf), in order.
   */
  private keyOf(ref: string, index: IndexFile): string | undefined {
    if (!ref.includes('@')) {
      const key = formatImageRef(parseImageRef(ref));
      if (index.refs[key]) return key;
    }
    let remote: RemoteRef;
    try {
      remote = parseRemoteRef(ref);
    } catch {
      return undefined;
    }
    // Where a pull of it would have stored it.
    for (const c of searchCandidates(remote, loadRegistriesConf().unqualifiedSearch)) {
      const key = formatImageRef(localName(c));
      if (index.refs[key]) return key;
    }
    return undefined;
  }

  /** Remove a ref (any form get() takes); its content goes too once no other ref names it. */
  remove(ref: string): void {
    if (!ref.includes('@') && parseImageRef(ref).name === HOST_IMAGE) {
      throw new PodrunError('Conflict', `image "${HOST_IMAGE}" is built in and cannot be removed`);
    }
    const shown = ref.includes('@') ? ref : formatImageRef(parseImageRef(ref));
    if (!fs.existsSync(this.indexFile)) throw new NotFoundError('image', shown);
    let trash: string | undefined;
    try {
      withLockSync(this.lockDir, () => {
        const index = this.readIndex();
        const key = this.keyOf(ref, index);
        if (!key) throw new NotFoundError('image', shown);
        const id = index.refs[key]!;
        delete index.refs[key];
        this.writeIndex(index);
        trash = this.detachIfUnreferenced(index, id);
      });
    } catch (err) {
      throw asPodrunError(err);
    }
    if (trash) this.dropDetached(trash);
  }

  /** Deletes a detached image dir, then the layers that no stored image lists any more. */
  private dropDetached(trash: string): void {
    removeTree(trash);
    const inUse = new Set<string>();
    for (const name of fs.readdirSync(this.dir)) {
      if (!/^[0-9a-f]{64}$/.test(name)) continue;
      try {
        const stored = JSON.parse(fs.readFileSync(path.join(this.dir, name, 'image.json'), 'utf8')) as StoredImage;
        for (const d of stored.layers ?? []) inUse.add(d);
      } catch {
        /* being written: its layers are pinned by the importer's recent unpack */
      }
    }
    this.layers.prune(inUse);
  }

  private idDir(id: string): string {
    const hex = id.replace(/^sha256:/, '');
    if (!/^[0-9a-f]{64}$/.test(hex)) throw new PodrunError('Internal', `malformed image id "${id}" in ${this.indexFile}`);
    return path.join(this.dir, hex);
  }

  private load(name: string, tag: string, id: string): ImageRecord | undefined {
    const dir = this.idDir(id);
    let stored: StoredImage;
    try {
      stored = JSON.parse(fs.readFileSync(path.join(dir, 'image.json'), 'utf8')) as StoredImage;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw asPodrunError(err);
    }
    if (stored.layers) {
      return { name, tag, id: stored.id, rootfs: '', layers: stored.layers.map((d) => this.layers.rootOf(d)), config: stored.config, created: stored.created, size: stored.size };
    }
    return { name, tag, id: stored.id, rootfs: path.join(dir, 'rootfs'), config: stored.config, created: stored.created, size: stored.size };
  }

  private readIndex(): IndexFile {
    let text: string;
    try {
      text = fs.readFileSync(this.indexFile, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, refs: {} };
      throw asPodrunError(err);
    }
    const parsed = JSON.parse(text) as Partial<IndexFile>;
    if (parsed.version !== 1 || typeof parsed.refs !== 'object' || parsed.refs === null) {
      throw new PodrunError('Internal', `unrecognised image index \`${this.indexFile}\``, 'it was written by another podrun version');
    }
    return { version: 1, refs: parsed.refs };
  }

  private writeIndex(index: IndexFile): void {
    writeFileAtomicSync(this.indexFile, JSON.stringify(index, null, 2) + '\n');
  }

  /**
   * Under the lock: when no ref names `id` any more, move its dir aside to a temp name (a
   * rename, so the id is gone at once) and return that name for deletion outside the lock.
   */
  private detachIfUnreferenced(index: IndexFile, id: string): string | undefined {
    if (Object.values(index.refs).includes(id)) return undefined;
    const aside = path.join(this.dir, `.tmp-${process.pid}-gc-${crypto.randomBytes(4).toString('hex')}`);
    try {
      fs.renameSync(this.idDir(id), aside);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    return aside;
  }

  private ensureDir(): void {
    try {
      fs.mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      // The default data root is under HOME, which su without `-` or a service user may not own.
      throw new SystemError('mkdir', Math.abs(err.errno ?? 0), err.code ?? 'EIO', err.path ?? this.dir, 'set XDG_DATA_HOME (or HOME) to a folder of yours, or choose one with --data-root');
    }
  }

  /** Remove temp dirs whose importer process is gone (it crashed mid-import). */
  private sweepAbandoned(): void {
    for (const name of fs.readdirSync(this.dir)) {
      const m = /^(?:\.tmp-(\d+)-|\.lock\.stale\.(\d+)\.)/.exec(name);
      if (!m) continue;
      const pid = Number(m[1] ?? m[2]);
      if (pid === process.pid || pidAlive(pid)) continue;
      try {
        removeTree(path.join(this.dir, name));
      } catch {
        // another importer is sweeping the same dir
      }
    }
  }
}
