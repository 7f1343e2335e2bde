// Unpacked image layers, each kept once by its DiffID (the digest of its uncompressed tar) and
// shared read-only by every image and container that has it: containers see them as overlayfs
// lower directories.
//
//   <dataRoot>/layers/<hex>/root        the layer's files, whiteouts as overlay whiteouts
//   <dataRoot>/layers/<hex>/layer.json  {diffId, digest, size}
//   <dataRoot>/layers/.tmp-<pid>-*/     an unpack in progress: renamed into place when complete,
//                                       so an interrupted import never leaves a partial layer
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PodrunError } from '../errors';
import { writeFileAtomicSync } from '../state/atomic-file';
import { removeTree } from '../state/remove-tree';
import { isRoot } from './special-files';
import type { LayerDecodeStream } from './layer-decode';
import { extractLayerStream, extractTar, type ExtractOptions, type ExtractStats } from './untar';

export interface LayerRecord {
  diffId: string;
  /** The digest of the blob it came from (compressed or not). */
  digest: string;
  /** Bytes of its files' content and symlink targets. */
  size: number;
  /** Relative paths its whiteouts hide, and its opaque directories (for the copy driver). */
  whiteouts?: string[];
  opaque?: string[];
}

function hexOf(digest: string): string {
  const m = /^sha256:([0-9a-f]{64})$/.exec(digest);
  if (!m) throw new PodrunError('Invalid', `unsupported digest "${digest}": only sha256 is supported`);
  return m[1]!;
}

export class LayerStore {
  readonly dir: string;

  constructor(dataRoot: string) {
    this.dir = path.join(path.resolve(dataRoot), 'layers');
  }

  /** The directory overlayfs uses as a lower layer. */
  rootOf(diffId: string): string {
    return path.join(this.dir, hexOf(diffId), 'root');
  }

  /** The record of a layer, from its root directory (as image records list them). */
  recordAt(root: string): LayerRecord | undefined {
    try {
      return JSON.parse(fs.readFileSync(path.join(path.dirname(root), 'layer.json'), 'utf8')) as LayerRecord;
    } catch {
      return undefined;
    }
  }

  /** The recorded size of a stored layer (0 when unknown). */
  sizeOf(diffId: string): number {
    try {
      return (JSON.parse(fs.readFileSync(path.join(this.dir, hexOf(diffId), 'layer.json'), 'utf8')) as LayerRecord).size ?? 0;
    } catch {
      return 0;
    }
  }

  has(diffId: string): boolean {
    return fs.existsSync(path.join(this.dir, hexOf(diffId), 'layer.json'));
  }

  /**
   * Unpacks a layer blob (tar, gzip or zstd) unless a layer with this DiffID is already stored;
   * refuses it when its uncompressed digest is not `diffId`.
   */
  unpack(blob: string, digest: string, diffId: string): Promise<string> {
    return this.unpackWith((root, opts) => extractTar(blob, root, opts), digest, diffId);
  }

  /** The same from a download as it is decoded (the stream errors if its bytes are not `digest`). */
  unpackStream(decoded: LayerDecodeStream, zstd: boolean, digest: string, diffId: string): Promise<string> {
    return this.unpackWith((root, opts) => extractLayerStream(decoded, zstd, digest, root, opts), digest, diffId);
  }

  private async unpackWith(extract: (root: string, opts: ExtractOptions) => Promise<ExtractStats>, digest: string, diffId: string): Promise<string> {
    const final = path.join(this.dir, hexOf(diffId));
    this.pin(diffId);
    if (this.has(diffId)) return path.join(final, 'root');
    const tmp = fs.mkdtempSync(path.join(this.dir, `.tmp-${process.pid}-`));
    try {
      const root = path.join(tmp, 'root');
      fs.mkdirSync(root, { mode: 0o755 });
      // Root's layers serve pods in their own user namespace too (hostUsers: false), whose
      // overlayfs (userxattr) reads only user.overlay.*.
      const opaque = isRoot() ? { opaqueXattr: 'trusted.overlay.opaque', alsoXattr: 'user.overlay.opaque' } : { opaqueXattr: 'user.overlay.opaque' };
      const stats = await extract(root, { layer: opaque });
      if (stats.diffId !== diffId) {
        throw new PodrunError('Invalid', `layer ${digest}: its content has digest ${stats.diffId}, but the image config says ${diffId}`, 'the image is corrupt or was tampered with');
      }
      const record: LayerRecord = { diffId, digest, size: stats.bytes, whiteouts: stats.whiteouts, opaque: stats.opaque };
      writeFileAtomicSync(path.join(tmp, 'layer.json'), JSON.stringify(record) + '\n');
      try {
        fs.renameSync(tmp, final);
      } catch (e) {
        // Another import unpacked the same layer meanwhile: theirs is as good as ours.
        const code = (e as NodeJS.ErrnoException).code;
        if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw e;
        removeTree(tmp);
      }
      return path.join(final, 'root');
    } catch (e) {
      removeTree(tmp);
      throw e;
    }
  }

  private get pins(): string {
    return path.join(this.dir, '.pins');
  }

  /**
   * An importer's claim on a layer from the moment it starts unpacking (or finds it) until its
   * image is recorded: prune must not take a layer that no image lists *yet*.
   */
  private pin(diffId: string): void {
    fs.mkdirSync(this.pins, { recursive: true, mode: 0o700 });
    fs.writeFileSync(path.join(this.pins, `${hexOf(diffId)}.${process.pid}`), '');
  }

  unpin(diffIds: string[]): void {
    for (const d of diffIds) fs.rmSync(path.join(this.pins, `${hexOf(d)}.${process.pid}`), { force: true });
  }

  private pinned(): Set<string> {
    const out = new Set<string>();
    let names: string[] = [];
    try {
      names = fs.readdirSync(this.pins);
    } catch {
      return out;
    }
    for (const name of names) {
      const [hex, pid] = name.split('.');
      let alive = Number(pid) === process.pid;
      try {
        if (!alive) process.kill(Number(pid), 0);
        alive = true;
      } catch (e) {
        alive = (e as NodeJS.ErrnoException).code === 'EPERM';
      }
      if (alive) out.add(`sha256:${hex}`);
      else fs.rmSync(path.join(this.pins, name), { force: true });
    }
    return out;
  }

  /** Removes the layers no image uses any more (nor any import in progress). */
  prune(inUse: Set<string>): number {
    const pinned = this.pinned();
    let n = 0;
    let names: string[] = [];
    try {
      names = fs.readdirSync(this.dir);
    } catch {
      return 0;
    }
    for (const name of names) {
      if (!/^[0-9a-f]{64}$/.test(name) || inUse.has(`sha256:${name}`) || pinned.has(`sha256:${name}`)) continue;
      removeTree(path.join(this.dir, name));
      n++;
    }
    return n;
  }
}
