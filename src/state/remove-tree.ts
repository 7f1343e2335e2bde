// Removes a folder and everything in it, as `rm -rf` would for its owner. Overlayfs leaves the
// `work` folder inside its workdir mode 000, and a volatile mount leaves `incompat/volatile` in
// it: rootless, not even their owner may list them, and a recursive removal stops there. Such
// folders, when ours, are opened (u+rwx) and the removal is tried again. Symbolic links are
// never followed (a container's files are among what is removed).
import * as fs from 'node:fs';
import * as path from 'node:path';

export function removeTree(dir: string): void {
  try {
    fs.rmSync(dir, { recursive: true, force: true });
    return;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'EACCES' && code !== 'EPERM') throw e;
  }
  openUp(dir, process.getuid?.() ?? 0);
  fs.rmSync(dir, { recursive: true, force: true });
}

/** Gives the owner rwx on every folder of the tree that is `uid`'s, top down. */
function openUp(dir: string, uid: number): void {
  let st: fs.Stats;
  try {
    st = fs.lstatSync(dir);
  } catch {
    return;
  }
  if (!st.isDirectory()) return;
  if (st.uid === uid && (st.mode & 0o700) !== 0o700) fs.chmodSync(dir, (st.mode & 0o7777) | 0o700);
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return; // not ours: left for the rmSync to report
  }
  for (const e of entries) if (e.isDirectory()) openUp(path.join(dir, e.name), uid);
}
