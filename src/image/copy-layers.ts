// The copy driver: when overlayfs cannot be mounted in a pod, a container's root is a private
// copy of its image's layers applied in order, as `umoci unpack` applies them: a whiteout (the
// 0/0 character device) removes what lower layers put at its path, an opaque directory (listed
// in the layer's record) is emptied first, and everything else replaces what was below.
//
// The destination fills up with the image's own symlinks, so nothing here may follow one: the
// walk goes top-down and makes every directory it enters a real directory (a symlink or file
// of a lower layer in the way is removed first, as overlayfs lets an upper directory hide it),
// and every file, link or node is created fresh, never opened through an existing name.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { LayerStore } from './layers';
import { isRoot, makeSpecial, splitDev } from './special-files';

function lstatOrUndefined(p: string): fs.Stats | undefined {
  try {
    return fs.lstatSync(p);
  } catch {
    return undefined;
  }
}

/** Makes `p` a real directory (its parent already is one). */
function realDir(p: string): void {
  const st = lstatOrUndefined(p);
  if (st?.isDirectory()) {
    // A lower layer's read-only directory: writable while this layer fills it (its mode comes after).
    if ((st.mode & 0o700) !== 0o700) fs.chmodSync(p, (st.mode | 0o700) & 0o7777);
    return;
  }
  if (st) fs.rmSync(p, { force: true });
  fs.mkdirSync(p, { mode: 0o700 });
}

function clear(p: string): void {
  const st = lstatOrUndefined(p);
  if (st) fs.rmSync(p, { recursive: st.isDirectory(), force: true });
}

function emptyDir(p: string): void {
  for (const e of fs.readdirSync(p)) fs.rmSync(path.join(p, e), { recursive: true, force: true });
}

export function copyLayers(layers: LayerStore, roots: string[], dest: string): void {
  const asRoot = isRoot();
  fs.mkdirSync(dest, { recursive: true, mode: 0o755 });
  for (const root of roots) {
    const rec = layers.recordAt(root);
    const opaque = new Set(rec?.opaque ?? []);
    // Hard links of this layer: the first copy of an inode, linked again for its other names.
    const inodes = new Map<number, string>();
    const dirModes: [string, fs.Stats][] = [];
    const walk = (rel: string) => {
      const src = path.join(root, rel);
      const out = path.join(dest, rel);
      if (opaque.has(rel)) emptyDir(out);
      for (const name of fs.readdirSync(src)) {
        const r = rel ? `${rel}/${name}` : name;
        const s = path.join(src, name);
        const d = path.join(out, name);
        const st = fs.lstatSync(s);
        if (st.isCharacterDevice() && st.rdev === 0) {
          clear(d); // a whiteout
        } else if (st.isDirectory()) {
          realDir(d);
          if (asRoot) fs.lchownSync(d, st.uid, st.gid);
          dirModes.push([d, st]);
          walk(r);
        } else {
          clear(d);
          const first = st.nlink > 1 ? inodes.get(st.ino) : undefined;
          if (first) fs.linkSync(first, d);
          else if (st.isFile()) {
            fs.copyFileSync(s, d, fs.constants.COPYFILE_EXCL);
            if (asRoot) fs.lchownSync(d, st.uid, st.gid);
            fs.chmodSync(d, st.mode & 0o7777);
          } else if (st.isSymbolicLink()) {
            fs.symlinkSync(fs.readlinkSync(s), d);
            if (asRoot) fs.lchownSync(d, st.uid, st.gid);
          } else if (st.isFIFO() || asRoot) {
            const { major, minor } = splitDev(st.rdev);
            makeSpecial(d, st.isFIFO() ? 'fifo' : st.isCharacterDevice() ? 'char' : 'block', st.mode, major, minor);
          }
          if (st.nlink > 1 && !first && lstatOrUndefined(d)) inodes.set(st.ino, d);
        }
      }
    };
    walk('');
    for (const [d, st] of dirModes.reverse()) fs.chmodSync(d, st.mode & 0o7777);
  }
}
