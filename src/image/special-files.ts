// Device nodes and FIFOs, made by the addon's mknod(2): layers carry one whiteout (a 0/0
// character device) per deleted file, and a `mknod` process per node cost more than the rest of
// the unpacking. The caller has already checked that `file` does not exist and that no parent is
// a symlink, and mknod(2) never follows a final symlink anyway.

import { PodrunError } from '../errors';
import { native } from '../native';

export type SpecialKind = 'char' | 'block' | 'fifo';

export function isRoot(): boolean {
  return typeof process.geteuid === 'function' && process.geteuid() === 0;
}

export function makeSpecial(file: string, kind: SpecialKind, mode: number, major = 0, minor = 0): void {
  try {
    native.mknod(file, kind, mode & 0o7777, major, minor);
  } catch (e) {
    const { syscall, message } = e as { syscall?: string; message: string };
    throw new PodrunError('System', `${syscall ?? 'mknod'} \`${file}\`: ${message}`);
  }
}

/** Split a Linux dev_t (as fs.Stats.rdev) into major and minor, the way glibc's gnu_dev_major/minor do. */
export function splitDev(rdev: number): { major: number; minor: number } {
  const hi = Math.floor(rdev / 2 ** 32);
  const lo = rdev >>> 0;
  return {
    major: ((lo >>> 8) & 0xfff) | ((hi & 0xfffff000) >>> 0),
    minor: ((lo & 0xff) | (((lo >>> 12) | (hi << 20)) & 0xffffff00)) >>> 0,
  };
}
