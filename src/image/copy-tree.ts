// Copy a directory tree into a new directory as an image root: modes, symlinks (as links,
// never followed), hard links within the tree (by device and inode), FIFOs, and as root also
// ownership and device nodes. Directory modes are applied last, deepest first, so that a
// read-only directory can still be filled.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { isRoot, makeSpecial, splitDev } from './special-files';

export interface CopyStats {
  entries: number;
  skipped: string[];
}

/** `exclude`: absolute paths inside `src` that are left out (the store itself, when it lives inside `src`). */
export async function copyTree(src: string, dst: string, exclude: string[] = []): Promise<CopyStats> {
  const asRoot = isRoot();
  const stats: CopyStats = { entries: 0, skipped: [] };
  const dirModes: Array<[string, number]> = [];
  // "dev:ino" of multiply-linked files -> their first copy
  const inodes = new Map<string, string>();

  const rootSt = await fs.promises.lstat(src);
  const walk = async (s: string, d: string, st: fs.Stats, rel: string): Promise<void> => {
    stats.entries++;
    const mode = st.mode & 0o7777;
    const chown = async (): Promise<void> => {
      if (asRoot) await fs.promises.lchown(d, st.uid, st.gid);
    };
    if (st.isDirectory()) {
      await fs.promises.mkdir(d, { mode: 0o700 });
      await chown();
      dirModes.push([d, mode]);
      const names = (await fs.promises.readdir(s)).sort();
      for (const n of names) {
        if (exclude.includes(path.join(s, n))) {
          stats.skipped.push(`${rel ? `${rel}/` : ''}${n}: the image store itself`);
          continue;
        }
        await walk(path.join(s, n), path.join(d, n), await fs.promises.lstat(path.join(s, n)), rel ? `${rel}/${n}` : n);
      }
      return;
    }
    if (st.nlink > 1 && !st.isSymbolicLink()) {
      const key = `${st.dev}:${st.ino}`;
      const first = inodes.get(key);
      if (first) {
        await fs.promises.link(first, d);
        return;
      }
      inodes.set(key, d);
    }
    if (st.isFile()) {
      // FICLONE shares extents on filesystems that support it and silently copies elsewhere.
      await fs.promises.copyFile(s, d, fs.constants.COPYFILE_EXCL | fs.constants.COPYFILE_FICLONE);
      await chown();
      await fs.promises.chmod(d, mode); // after chown, which clears set-id bits
    } else if (st.isSymbolicLink()) {
      await fs.promises.symlink(await fs.promises.readlink(s), d);
      await chown();
    } else if (st.isFIFO()) {
      makeSpecial(d, 'fifo', mode);
      await chown();
    } else if (st.isCharacterDevice() || st.isBlockDevice()) {
      if (!asRoot) {
        stats.skipped.push(`${rel}: device node, needs root`);
        inodes.delete(`${st.dev}:${st.ino}`);
        return;
      }
      const { major, minor } = splitDev(st.rdev);
      makeSpecial(d, st.isCharacterDevice() ? 'char' : 'block', mode, major, minor);
      await chown();
    } else {
      stats.skipped.push(`${rel}: socket`);
      inodes.delete(`${st.dev}:${st.ino}`);
    }
  };

  await walk(src, dst, rootSt, '');
  dirModes.sort((a, b) => b[0].length - a[0].length);
  for (const [d, m] of dirModes) await fs.promises.chmod(d, m);
  return stats;
}
