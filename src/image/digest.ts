// An image's id: sha256 over its config and a listing of its root filesystem. The listing
// names every entry in sorted order with its type, mode, owner, and for files the sha256 of the
// content (hard links as links to the first path), so two imports of the same content with the
// same config share one id and one directory. Times are left out: a re-import of unchanged
// content must not produce a new image.

import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ImageConfig } from './types';

export interface TreeDigest {
  id: string;
  size: number;
}

/** Feeds a file's bytes into `hash` (blobs being verified, partial downloads being resumed). */
export function hashFileInto(hash: crypto.Hash, file: string): crypto.Hash {
  const fd = fs.openSync(file, 'r');
  try {
    const buf = Buffer.allocUnsafe(1 << 20);
    for (let n; (n = fs.readSync(fd, buf, 0, buf.length, null)) > 0; ) hash.update(buf.subarray(0, n));
  } finally {
    fs.closeSync(fd);
  }
  return hash;
}

/** `sha256:<hex>` of a file. */
export function sha256File(file: string): string {
  return `sha256:${hashFileInto(crypto.createHash('sha256'), file).digest('hex')}`;
}

async function fileSha256(file: string): Promise<string> {
  const h = crypto.createHash('sha256');
  for await (const chunk of fs.createReadStream(file)) h.update(chunk as Buffer);
  return h.digest('hex');
}

// As non-root the importer owns every file but may lack read permission on some (Fedora ships
// /etc/shadow as 0000): lend the owner the bits for the read, then put the mode back. Root
// needs no loan: it bypasses permission checks.
async function withOwnerAccess<T>(p: string, st: fs.Stats, bits: number, fn: () => Promise<T>): Promise<T> {
  const euid = typeof process.geteuid === 'function' ? process.geteuid() : -1;
  if (euid === 0 || st.uid !== euid || (st.mode & bits) === bits) return fn();
  await fs.promises.chmod(p, (st.mode & 0o7777) | bits);
  try {
    return await fn();
  } finally {
    await fs.promises.chmod(p, st.mode & 0o7777);
  }
}

export async function digestTree(root: string, config: ImageConfig): Promise<TreeDigest> {
  const h = crypto.createHash('sha256');
  h.update(JSON.stringify(['podrun-image-v1', config]) + '\n');
  let size = 0;
  const inodes = new Map<string, string>();

  const visit = async (abs: string, rel: string): Promise<void> => {
    const st = await fs.promises.lstat(abs);
    const mode = (st.mode & 0o7777).toString(8);
    const own = `${st.uid}:${st.gid}`;
    let line: unknown[];
    if (st.isDirectory()) {
      line = ['d', rel, mode, own];
    } else {
      const key = `${st.dev}:${st.ino}`;
      const first = st.nlink > 1 ? inodes.get(key) : undefined;
      if (first !== undefined) {
        line = ['h', rel, first];
      } else {
        if (st.nlink > 1) inodes.set(key, rel);
        if (st.isFile()) {
          size += st.size;
          line = ['f', rel, mode, own, st.size, await withOwnerAccess(abs, st, 0o400, () => fileSha256(abs))];
        } else if (st.isSymbolicLink()) {
          const target = await fs.promises.readlink(abs);
          size += Buffer.byteLength(target);
          line = ['l', rel, own, target];
        } else {
          line = [st.isFIFO() ? 'p' : st.isCharacterDevice() ? 'c' : st.isBlockDevice() ? 'b' : 's', rel, mode, own, st.rdev];
        }
      }
    }
    h.update(JSON.stringify(line) + '\n');
    if (st.isDirectory()) {
      await withOwnerAccess(abs, st, 0o500, async () => {
        for (const n of (await fs.promises.readdir(abs)).sort()) {
          await visit(path.join(abs, n), rel ? `${rel}/${n}` : n);
        }
      });
    }
  };
  await visit(root, '');
  return { id: `sha256:${h.digest('hex')}`, size };
}
