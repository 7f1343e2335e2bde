// rm -rf that also works as non-root on trees holding directories their owner may not change
// or list: an image's `proc/` or `sys/` is typically 0555 (unlinking inside a directory needs
// write permission on it), and overlayfs leaves its workdir's `work` mode 000, with
// `incompat/volatile` inside it after a volatile mount. Such directories are made owner-rwx
// first. Symlinks are never followed.

import * as fs from 'node:fs';
import * as path from 'node:path';

function makeWritable(dir: string): void {
  let st: fs.Stats;
  try {
    st = fs.lstatSync(dir);
  } catch {
    return;
  }
  if (!st.isDirectory()) return;
  if ((st.mode & 0o700) !== 0o700) {
    try {
      fs.chmodSync(dir, (st.mode & 0o7777) | 0o700);
    } catch {
      // not ours: the rm below reports the real error
    }
  }
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return;
  }
  for (const n of names) makeWritable(path.join(dir, n));
}

export function removeTree(p: string): void {
  try {
    fs.rmSync(p, { recursive: true, force: true });
    return;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EACCES' && code !== 'EPERM') throw err;
  }
  makeWritable(p);
  fs.rmSync(p, { recursive: true, force: true });
}
